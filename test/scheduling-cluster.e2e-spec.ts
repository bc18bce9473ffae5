import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  EventBusService,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { RedisCluster } from './setup/redis-cluster.js';
import { Collector, waitUntil } from './utils/collector.js';

async function startApp(
  cluster: RedisCluster,
  serviceName: string,
  shardedPubSub: boolean,
): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      EventBusModule.forRoot({
        serviceName,
        transport: 'redis',
        logLevel: 'error',
        redis: { cluster: { nodes: cluster.nodes, shardedPubSub } },
        scheduling: { pollIntervalMs: 100, leaseMs: 1000 },
      }),
    ],
  }).compile();
  return moduleRef.init();
}

type Run = EventEnvelope<string, { run: string }>;

/**
 * On Redis Cluster each stream's delayed set and schedules share the stream's
 * hash tag, so one script moves an entry within one slot: streams on every
 * master, two movers, each event once per durable group and once per fan-out handler.
 * With `shardedPubSub` the move script fans out with SPUBLISH on the segment's shard
 * channel, which carries the same hash tag.
 */
describe.each([false, true])(
  'delayed and scheduled events on the local 3-master Redis Cluster (shardedPubSub: %s)',
  shardedPubSub => {
    let cluster: RedisCluster;
    let appA: INestApplicationContext;
    let appB: INestApplicationContext;
    let busA: EventBusService;
    let busB: EventBusService;
    const durable = new Collector<Run>();
    const fanOut = new Collector<Run>();
    // Segments that hash to different slots (and so, most likely, to different masters).
    const types = ['alpha.job', 'bravo.job', 'charlie.job', 'delta.job'];

    beforeAll(async () => {
      cluster = await RedisCluster.start({ masters: 3 });
      [appA, appB] = await Promise.all([
        startApp(cluster, 'sched-a', shardedPubSub),
        startApp(cluster, 'sched-b', shardedPubSub),
      ]);
      busA = appA.get(EventBusService);
      busB = appB.get(EventBusService);
      for (const type of types) {
        await busA.subscribe(type, e => durable.push(e as unknown as Run), {
          durable: true,
          group: 'cluster-probe',
        });
        await busB.subscribe(type, e => fanOut.push(e as unknown as Run));
      }
      // Both buses know every durable pattern before anything comes due.
      await new Promise(r => setTimeout(r, 300));
    });

    afterAll(async () => {
      await Promise.allSettled([appA?.close(), appB?.close()]);
      await cluster?.stop();
    });

    it('moves delayed events of streams on every master once each, into the stream and to fan-out', async () => {
      const results = await Promise.all(
        Array.from({ length: 80 }, (_, i) =>
          (i % 2 ? busA : busB).publish(
            types[i % types.length],
            { run: 'cluster' },
            { delay: 100 + i * 10 },
          ),
        ),
      );
      const ids = results.map(r => r.eventId).sort();
      await waitUntil(
        () => durable.length >= 80 && fanOut.length >= 80,
        20_000,
        '80 durable and 80 fan-out deliveries',
      );
      // A marker per type, due after every event: a duplicate would have come before it.
      await Promise.all(
        types.map(type => busA.publish(type, { run: 'marker' }, { delay: 0 })),
      );
      const markers = (c: Collector<Run>) =>
        c.items.filter(e => e.data.run === 'marker').length;
      await waitUntil(
        () => markers(durable) === 4 && markers(fanOut) === 4,
        20_000,
        'markers',
      );
      for (const c of [durable, fanOut])
        expect(
          c.items
            .filter(e => e.data.run === 'cluster')
            .map(e => e.id)
            .sort(),
        ).toEqual(ids);
      // A mover counts a batch once its script has answered, which can be after the events
      // the script sent have been handled.
      const fired = () =>
        busA.getStats().delayedFired + busB.getStats().delayedFired;
      await waitUntil(() => fired() >= 84, 5000, 'the movers to count');
      expect(fired()).toBe(84);
    });

    it('fires a schedule once per due time and cancels it', async () => {
      await busA.schedule('cluster.tick', { every: 200 }, 'charlie.job', {
        run: 'tick',
      });
      const ticks = () => durable.items.filter(e => e.data.run === 'tick');
      await waitUntil(() => ticks().length >= 3, 15_000, '3 fires');
      expect(await busB.cancelSchedule('cluster.tick')).toBe(true);
      const dues = ticks().map(e => e.metadata.timestamp);
      expect(new Set(dues).size).toBe(dues.length);
      expect(await busA.listSchedules()).toEqual([]);
    });
  },
);
