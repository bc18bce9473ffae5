import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import {
  EventBusService,
  EventValidationError,
  type EventEnvelope,
  type PublishResult,
  type ScheduleInfo,
} from '@shared-infra/event-bus';
import { IsInt } from 'class-validator';
import { Redis } from 'ioredis';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { ChildApp } from './utils/child-app.js';
import { Collector, waitUntil } from './utils/collector.js';

class CheckedDto {
  @IsInt()
  n!: number;
}

interface Received {
  event: EventEnvelope<string, { run: string; n: number }>;
  at: number;
}

const LEASE_MS = 1000;

/**
 * Delayed publishes and schedules on real Redis with AOF, moved by two child
 * processes under the scheduling lease. The test process publishes (its own
 * mover is off) and counts deliveries through a durable group: every delayed
 * event must arrive once, whichever process moved it, across kills and restarts.
 */
describe('delayed and scheduled events across processes on real Redis', () => {
  let redis: RedisServer;
  let probe: INestApplicationContext;
  let bus: EventBusService;
  let raw: Redis;
  const movers: ChildApp[] = [];
  const received = new Collector<Received>();

  const startMover = async (): Promise<ChildApp> => {
    const mover = await ChildApp.start('scheduler-app.main', {
      REDIS_URL: redis.url,
      POLL_MS: '100',
      LEASE_MS: String(LEASE_MS),
    });
    movers.push(mover);
    return mover;
  };
  const stopMover = async (mover: ChildApp): Promise<void> => {
    movers.splice(movers.indexOf(mover), 1);
    await mover.stop();
  };
  const ofRun = (run: string) =>
    received.items.filter(r => r.event.data.run === run);
  const firedBy = async (apps: ChildApp[]): Promise<number> => {
    let total = 0;
    for (const app of apps)
      total += (await app.request<{ delayedFired: number }>({ cmd: 'stats' }))
        .delayedFired;
    return total;
  };

  /** Publishes `count` delayed events of one run, due `from` to `to` ms from now. */
  const publishRun = async (
    run: string,
    count: number,
    from: number,
    to: number,
  ): Promise<PublishResult[]> => {
    const results: PublishResult[] = [];
    for (let i = 0; i < count; i += 50)
      results.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(50, count - i) }, (_, j) =>
            bus.publish(
              'later.job',
              { run, n: i + j },
              { delay: from + Math.floor(((to - from) * (i + j)) / count) },
            ),
          ),
        )),
      );
    return results;
  };

  /** Waits until every event of the run arrived, then checks that each arrived once. */
  const expectEachOnce = async (
    run: string,
    results: PublishResult[],
    timeoutMs = 20_000,
  ): Promise<void> => {
    const ids = new Set(results.map(r => r.eventId));
    await waitUntil(
      () => new Set(ofRun(run).map(r => r.event.id)).size >= ids.size,
      timeoutMs,
      `${ids.size} events of run ${run} (got ${new Set(ofRun(run).map(r => r.event.id)).size})`,
    );
    // A marker due after the run, moved after every event of it: a duplicate would have come before.
    const marker = `${run}-marker`;
    await bus.publish('later.job', { run: marker, n: 0 }, { delay: 0 });
    await waitUntil(() => ofRun(marker).length > 0, timeoutMs, marker);
    const got = ofRun(run);
    expect(got.length).toBe(ids.size);
    expect(new Set(got.map(r => r.event.id))).toEqual(ids);
    // Never before its due time (the event's timestamp), on this machine's one clock.
    for (const { event, at } of got)
      expect(at).toBeGreaterThanOrEqual(Date.parse(event.metadata.timestamp));
  };

  beforeAll(async () => {
    redis = await RedisServer.start({
      config: { appendonly: 'yes', appendfsync: 'always' },
    });
    raw = new Redis(redis.url, { maxRetriesPerRequest: null });
    probe = await startBusApp(redis.url, {
      serviceName: 'probe',
      scheduling: { mover: false },
      limits: { maxDataBytes: 4096 },
      schemas: { 'later.checked': CheckedDto },
    });
    bus = probe.get(EventBusService);
    // Registered before the movers start, so they append every later.* event to its stream.
    await bus.subscribe(
      'later.**',
      event =>
        received.push({
          event: event as unknown as Received['event'],
          at: Date.now(),
        }),
      { durable: true, group: 'probe' },
    );
    await startMover();
    await startMover();
  });

  afterAll(async () => {
    await Promise.all(movers.splice(0).map(m => m.stop()));
    await probe?.close();
    raw?.disconnect();
    await redis?.stop();
  });

  it('delivers delay and at events once they are due, with the ids and trace they were published with', async () => {
    const traceId = 'trace-delayed-1';
    const byDelay = await bus.publish(
      'later.job',
      { run: 'basic', n: 1 },
      { delay: 700, traceId },
    );
    const byAt = await bus.publish(
      'later.job',
      { run: 'basic', n: 2 },
      { at: new Date(Date.now() + 900) },
    );
    // The result's timestamp is the due time, which is the event's timestamp when it arrives.
    expect(Date.parse(byDelay.timestamp)).toBeGreaterThan(Date.now() - 1000);
    await expectEachOnce('basic', [byDelay, byAt]);
    const first = ofRun('basic').find(r => r.event.id === byDelay.eventId)!;
    expect(first.event.metadata.traceId).toBe(traceId);
    expect(first.event.metadata.timestamp).toBe(byDelay.timestamp);
    expect(first.event.metadata.source).toBe('probe');
    expect(await bus.countDelayed()).toBe(0);
  });

  it('checks a delayed event at publish time: type, options, DTO and sizes', async () => {
    const refusals: Array<[Promise<unknown>, RegExp]> = [
      [bus.publish('Bad Type', {}, { delay: 10 }), /Event type "Bad Type"/],
      [
        bus.publish('later.job', {}, { dealy: 10 } as never),
        /"dealy" of publish\(\): did you mean "delay"/,
      ],
      [bus.publish('later.job', {}, { delay: -1 }), /"delay" is -1/],
      [
        bus.publish('later.job', {}, { delay: 5, at: new Date() }),
        /"delay" and "at" were both given/,
      ],
      [bus.publish('later.checked', { n: 'x' }, { delay: 10 }), /n/],
      [
        bus.publish('later.job', { blob: 'x'.repeat(5000) }, { delay: 10 }),
        /limits.maxDataBytes/,
      ],
      [
        bus.publishToRoom('photo:1', 'later.job', {}, { delay: 10 }),
        /for publish\(\) only, not publishToRoom\(\)/,
      ],
    ];
    for (const [refused, message] of refusals) {
      await expect(refused).rejects.toBeInstanceOf(EventValidationError);
      await expect(refused).rejects.toThrow(message);
    }
    expect(await bus.countDelayed()).toBe(0);
  });

  it('two movers deliver each of 300 delayed events exactly once, and count what they moved', async () => {
    const before = await firedBy(movers);
    const results = await publishRun('pair', 300, 100, 1500);
    await expectEachOnce('pair', results);
    // 300 and the marker, moved by one or the other.
    expect((await firedBy(movers)) - before).toBe(301);
  });

  it('movers racing while the lease keeps lapsing still move each event once (the scripts, not the lease, decide)', async () => {
    // Deleting the lease all the time lets both movers take it in turn, and overlap mid-tick.
    const thief = setInterval(
      () => void raw.del('eventbus:scheduling:lease').catch(() => undefined),
      15,
    );
    const before = await Promise.all(movers.map(m => firedBy([m])));
    try {
      const results = await publishRun('race', 300, 100, 1500);
      await expectEachOnce('race', results);
    } finally {
      clearInterval(thief);
    }
    const moved = await Promise.all(
      movers.map(async (m, i) => (await firedBy([m])) - before[i]),
    );
    // Both took part, and together they moved each event (and the marker) once.
    expect(moved.every(n => n > 0)).toBe(true);
    expect(moved[0] + moved[1]).toBe(301);
  });

  it('a killed lease holder is replaced by the other mover: nothing lost, nothing doubled', async () => {
    const results = await publishRun('kill', 200, 200, 3000);
    await waitUntil(() => ofRun('kill').length > 0, 10_000, 'a first event');
    const owner = (await raw.get('eventbus:scheduling:lease')) ?? '';
    const holder = movers.find(m => owner.includes(`:${m.pid}:`));
    expect(holder).toBeDefined();
    movers.splice(movers.indexOf(holder!), 1);
    holder!.kill('SIGKILL');
    await holder!.waitForExit();
    await expectEachOnce('kill', results);
    await startMover();
  });

  it('survives a restart of each mover in turn', async () => {
    const [a, b] = movers;
    await stopMover(a);
    const first = await publishRun('restart', 50, 100, 600);
    const a2 = await startMover();
    await stopMover(b);
    const second = await publishRun('restart', 50, 100, 600);
    await startMover();
    await expectEachOnce('restart', [...first, ...second]);
    expect(movers).toContain(a2);
  });

  it('delayed events pending through a Redis restart with AOF still fire, once, and schedules go on', async () => {
    await bus.schedule('e2e.aof', { every: 400 }, 'later.aof', {
      run: 'aof-tick',
      n: 0,
    });
    const results = await publishRun('aof', 100, 2500, 3500);
    await redis.kill();
    await redis.start();
    const restartedAt = Date.now();
    await expectEachOnce('aof', results, 30_000);
    // The schedule was kept too, and fires on after the restart.
    await waitUntil(
      () =>
        ofRun('aof-tick').some(
          r => Date.parse(r.event.metadata.timestamp) > restartedAt,
        ),
      15_000,
      'a schedule fire after the restart',
    );
    expect(await bus.cancelSchedule('e2e.aof')).toBe(true);
  });

  it('an every schedule fires once per due time across two movers, survives being declared again, and stops when cancelled', async () => {
    const [a, b] = movers;
    const declared = await a.request<ScheduleInfo>({
      cmd: 'schedule',
      name: 'e2e.tick',
      spec: { every: 300 },
      type: 'later.tick',
      data: { run: 'tick', n: 0 },
    });
    // Declared again as it is (as an app does on every start): the due time stays.
    const again = await b.request<ScheduleInfo>({
      cmd: 'schedule',
      name: 'e2e.tick',
      spec: { every: 300 },
      type: 'later.tick',
      data: { run: 'tick', n: 0 },
    });
    expect(again.nextDueAt).toEqual(declared.nextDueAt);
    await waitUntil(() => ofRun('tick').length >= 5, 15_000, '5 fires');
    const list = await bus.listSchedules();
    expect(list.map(s => s.name)).toContain('e2e.tick');
    expect(await b.request({ cmd: 'cancel', name: 'e2e.tick' })).toBe(true);
    const cancelledAt = Date.now();
    expect(
      (await a.request<ScheduleInfo[]>({ cmd: 'list' })).map(s => s.name),
    ).not.toContain('e2e.tick');
    // A marker due after three more periods: a fire the cancel missed would have come before it.
    await bus.publish(
      'later.tick',
      { run: 'tick-marker', n: 0 },
      { delay: 900 },
    );
    await waitUntil(() => ofRun('tick-marker').length > 0, 10_000, 'marker');
    const dues = ofRun('tick').map(r => Date.parse(r.event.metadata.timestamp));
    expect(new Set(dues).size).toBe(dues.length);
    const start = Date.parse(String(declared.nextDueAt));
    for (const due of dues) {
      expect((due - start) % 300).toBe(0);
      expect(due).toBeLessThanOrEqual(cancelledAt);
    }
    expect(await bus.cancelSchedule('e2e.tick')).toBe(false);
  });

  it('a schedule whose fires were missed while no mover ran fires once for them, then goes on in phase', async () => {
    await bus.schedule('e2e.missed', { every: 300 }, 'later.missed', {
      run: 'missed',
      n: 0,
    });
    await waitUntil(() => ofRun('missed').length >= 2, 15_000, '2 fires');
    await Promise.all([...movers].map(m => stopMover(m)));
    // Five periods with no mover running (a wait, not a measurement: the assertions use due times).
    await new Promise(r => setTimeout(r, 1500));
    const dues = () =>
      ofRun('missed')
        .map(r => Date.parse(r.event.metadata.timestamp))
        .sort((a, b) => a - b);
    const lastBefore = Math.max(...dues());
    const restartedAt = Date.now();
    await startMover();
    await startMover();
    await waitUntil(
      () => dues().filter(d => d > restartedAt).length >= 2,
      15_000,
      '2 fires after the restart',
    );
    expect(await bus.cancelSchedule('e2e.missed')).toBe(true);
    // The due times missed during the downtime fired once in all, not once each.
    const missed = dues().filter(d => d > lastBefore && d < restartedAt);
    expect(missed.length).toBe(1);
    expect(missed[0] - lastBefore).toBe(300);
    const after = dues().filter(d => d > restartedAt);
    expect((after[0] - lastBefore) % 300).toBe(0);
    expect(new Set(dues()).size).toBe(dues().length);
  });

  it('a cron schedule fires on the times of its expression', async () => {
    await bus.schedule('e2e.cron', { cron: '* * * * * *' }, 'later.cron', {
      run: 'cron',
      n: 0,
    });
    await waitUntil(() => ofRun('cron').length >= 2, 15_000, '2 cron fires');
    expect(await bus.cancelSchedule('e2e.cron')).toBe(true);
    for (const { event } of ofRun('cron'))
      expect(Date.parse(event.metadata.timestamp) % 1000).toBe(0);
  });
});
