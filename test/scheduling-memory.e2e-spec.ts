import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  EventBusService,
  InvalidConfigurationError,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { Registry } from 'prom-client';
import { Collector, waitUntil } from './utils/collector.js';

interface Received {
  event: EventEnvelope<string, { run: string }>;
  at: number;
  how: 'durable' | 'fan-out';
}

/**
 * The memory transport keeps delayed events and schedules in process with the
 * semantics of Redis: checked at publish, delivered when due (into the durable
 * stream and to fan-out handlers, as a publish), once per due time.
 */
describe('delayed and scheduled events on the memory transport', () => {
  let app: INestApplicationContext;
  let bus: EventBusService;
  const received = new Collector<Received>();
  const registry = new Registry();
  const ofRun = (run: string, how?: Received['how']) =>
    received.items.filter(
      r => r.event.data.run === run && (how === undefined || r.how === how),
    );

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          serviceName: 'memory-scheduling',
          transport: 'memory',
          scheduling: { pollIntervalMs: 50 },
          metrics: { enabled: true, registry },
          logLevel: 'error',
        }),
      ],
    }).compile();
    app = await moduleRef.init();
    bus = app.get(EventBusService);
    await bus.subscribe(
      'soon.*',
      event =>
        received.push({
          event: event as unknown as Received['event'],
          at: Date.now(),
          how: 'durable',
        }),
      { durable: true, group: 'memory-probe' },
    );
    await bus.subscribe('soon.*', event =>
      received.push({
        event: event as unknown as Received['event'],
        at: Date.now(),
        how: 'fan-out',
      }),
    );
  });

  afterAll(async () => {
    await app?.close();
  });

  it('delivers delay and at events when due, once to the durable group and once to fan-out', async () => {
    const results = await Promise.all([
      bus.publish('soon.job', { run: 'basic' }, { delay: 200 }),
      bus.publish('soon.job', { run: 'basic' }, { at: Date.now() + 300 }),
      bus.publish('soon.job', { run: 'basic' }, { at: new Date(0) }),
    ]);
    expect(await bus.countDelayed()).toBeGreaterThan(0);
    await waitUntil(() => ofRun('basic').length >= 6, 5000, '6 deliveries');
    await bus.publish('soon.job', { run: 'basic-marker' }, { delay: 0 });
    await waitUntil(() => ofRun('basic-marker').length === 2, 5000, 'marker');
    for (const how of ['durable', 'fan-out'] as const) {
      const got = ofRun('basic', how);
      expect(got.map(r => r.event.id).sort()).toEqual(
        results.map(r => r.eventId).sort(),
      );
      for (const { event, at } of got)
        expect(at).toBeGreaterThanOrEqual(Date.parse(event.metadata.timestamp));
    }
    expect(await bus.countDelayed()).toBe(0);
    const stats = bus.getStats();
    expect(stats.eventsDelayed).toBe(4);
    expect(stats.delayedFired).toBe(4);
    const text = await registry.metrics();
    expect(text).toContain('eventbus_delayed_published_total 4');
    expect(text).toContain('eventbus_scheduled_fired_total{kind="delayed"} 4');
    expect(text).toContain(
      'eventbus_scheduled_late_seconds_count{kind="delayed"} 4',
    );
    expect(text).toContain('eventbus_delayed_pending 0');
  });

  it('fires an every schedule once per due time, keeps it when declared again, replaces it when changed, and stops it on cancel', async () => {
    const first = await bus.schedule(
      'memory.tick',
      { every: 100 },
      'soon.tick',
      {
        run: 'tick',
      },
    );
    const same = await bus.schedule(
      'memory.tick',
      { every: 100 },
      'soon.tick',
      {
        run: 'tick',
      },
    );
    expect(same.nextDueAt).toEqual(first.nextDueAt);
    await waitUntil(
      () => ofRun('tick', 'durable').length >= 3,
      5000,
      '3 fires',
    );
    const changed = await bus.schedule(
      'memory.tick',
      { every: 150 },
      'soon.tick',
      { run: 'tick' },
    );
    expect(changed.every).toBe(150);
    expect(await bus.listSchedules()).toEqual([
      expect.objectContaining({ name: 'memory.tick', every: 150 }),
    ]);
    await waitUntil(
      () => ofRun('tick', 'durable').length >= 5,
      5000,
      '5 fires',
    );
    expect(await bus.cancelSchedule('memory.tick')).toBe(true);
    const cancelledAt = Date.now();
    await bus.publish('soon.tick', { run: 'tick-marker' }, { delay: 500 });
    await waitUntil(() => ofRun('tick-marker').length === 2, 5000, 'marker');
    const dues = ofRun('tick', 'durable').map(r =>
      Date.parse(r.event.metadata.timestamp),
    );
    expect(new Set(dues).size).toBe(dues.length);
    for (const due of dues) expect(due).toBeLessThanOrEqual(cancelledAt);
    expect(ofRun('tick', 'fan-out').length).toBe(dues.length);
    expect(await bus.listSchedules()).toEqual([]);
    expect(bus.getStats().scheduleFires).toBe(dues.length);
  });

  it('refuses bad schedules by name', async () => {
    await expect(
      bus.schedule('x', { evry: 100 } as never, 'soon.tick', {}),
    ).rejects.toThrow(/"evry" of schedule\(\): did you mean "every"/);
    await expect(
      bus.schedule('x', { cron: 'not a cron' }, 'soon.tick', {}),
    ).rejects.toBeInstanceOf(InvalidConfigurationError);
    await expect(
      bus.schedule('', { every: 100 }, 'soon.tick', {}),
    ).rejects.toThrow(/Schedule name "" is invalid/);
    await expect(
      bus.schedule('x', { every: 100 }, 'Not.A.Type', {}),
    ).rejects.toThrow(/Event type "Not.A.Type"/);
  });
});
