import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import {
  EventBusService,
  EventBusUnavailableError,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { waitUntil } from './utils/collector.js';

type Outcome = 'accepted' | 'rejected' | 'failed';

/**
 * Publishes during a Redis outage longer than the buffer: every publish is
 * either accepted (and then handled exactly once by the durable group) or
 * rejected (and then never handled: nothing of it was sent), counted per event.
 */
describe('Redis outage: one bound over every command of a publish', () => {
  let redis: RedisServer;
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    // appendfsync always: what Redis acknowledged survives its SIGKILL.
    redis = await RedisServer.start({
      config: { appendonly: 'yes', appendfsync: 'always' },
    });
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  async function publishAll(
    bus: EventBusService,
    type: string,
    from: number,
    count: number,
    data: (n: number) => object,
  ): Promise<Map<number, Promise<Outcome>>> {
    const outcomes = new Map<number, Promise<Outcome>>();
    for (let n = from; n < from + count; n++) {
      outcomes.set(
        n,
        bus.publish(type, data(n)).then(
          () => 'accepted' as const,
          (error: unknown) =>
            error instanceof EventBusUnavailableError &&
            /already waiting/.test((error as Error).message)
              ? ('rejected' as const)
              : ('failed' as const),
        ),
      );
    }
    return outcomes;
  }

  it('a rejected publish is never delivered; every accepted one is handled once (count and bytes bounds)', async () => {
    const consumer = await startBusApp(redis.url, {
      serviceName: 'outage-consumer',
      durable: { blockMs: 200, claimIntervalMs: 500 },
    });
    apps.push(consumer);
    const handled: number[] = [];
    // Negative numbers: the markers published after everything else, kept apart.
    const markers: number[] = [];
    await consumer.get(EventBusService).subscribe(
      'job.*',
      (event: EventEnvelope) => {
        const { n } = event.data as { n: number };
        (n < 0 ? markers : handled).push(n);
      },
      { durable: true, group: 'outage-workers' },
    );

    const byCount = await startBusApp(redis.url, {
      serviceName: 'outage-producer',
      redis: { maxBufferedPublishes: 50 },
    });
    const byBytes = await startBusApp(redis.url, {
      serviceName: 'outage-producer-bytes',
      redis: { maxBufferedBytes: 20_000 },
    });
    apps.push(byCount, byBytes);
    const before = await publishAll(
      byCount.get(EventBusService),
      'job.created',
      0,
      10,
      n => ({ n }),
    );
    expect(new Set(await Promise.all(before.values()))).toEqual(
      new Set(['accepted']),
    );
    // Handled before Redis goes: this Redis keeps no data, so what the group had not read yet
    // would go with it (a lost write of Redis', not the bus').
    await waitUntil(
      () => handled.length === 10,
      10_000,
      'the events published before the outage to be handled',
    );

    await redis.kill();
    await waitUntil(
      () =>
        !byCount.get(EventBusService).isConnected() &&
        !byBytes.get(EventBusService).isConnected(),
      5000,
      'the producers to notice the outage',
    );
    const counted = await publishAll(
      byCount.get(EventBusService),
      'job.created',
      100,
      200,
      n => ({ n }),
    );
    // About 5.2 KB each (with the envelope): three fit in 20,000 bytes.
    const sized = await publishAll(
      byBytes.get(EventBusService),
      'job.sized',
      1000,
      10,
      n => ({ n, pad: 'x'.repeat(5000) }),
    );
    await new Promise(resolve => setTimeout(resolve, 300));
    await redis.start();

    const outcomes = new Map<number, Outcome>();
    for (const [n, outcome] of [...before, ...counted, ...sized])
      outcomes.set(n, await outcome);
    const accepted = [...outcomes]
      .filter(([, o]) => o === 'accepted')
      .map(([n]) => n);
    const rejected = [...outcomes]
      .filter(([, o]) => o === 'rejected')
      .map(([n]) => n);
    expect([...outcomes.values()].filter(o => o === 'failed')).toEqual([]);
    expect(accepted.filter(n => n >= 100 && n < 300)).toHaveLength(50);
    expect(rejected.filter(n => n >= 100 && n < 300)).toHaveLength(150);
    expect(accepted.filter(n => n >= 1000)).toHaveLength(3);
    expect(rejected.filter(n => n >= 1000)).toHaveLength(7);

    await waitUntil(
      () => handled.length >= accepted.length,
      20_000,
      'every accepted event to be handled',
    );
    // One marker per producer after all their outcomes, on the same stream: once the group has
    // handled both, a rejected publish that had reached Redis would have been handled before them.
    await byCount.get(EventBusService).publish('job.created', { n: -1 });
    await byBytes.get(EventBusService).publish('job.sized', { n: -2 });
    await waitUntil(
      () => markers.length === 2,
      20_000,
      'the markers after them',
    );
    // accepted = handled (each once); rejected-but-handled = 0.
    expect([...handled].sort((a, b) => a - b)).toEqual(
      [...accepted].sort((a, b) => a - b),
    );
    expect(handled.filter(n => rejected.includes(n))).toEqual([]);
  });
});
