import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  DeadLetterService,
  EventBusService,
  type EventBusModuleOptions,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { RedisCluster } from './setup/redis-cluster.js';
import { RedisServer } from './setup/redis-server.js';
import { Collector, waitUntil } from './utils/collector.js';

type TransportCase = 'memory' | 'redis' | 'cluster';

const fastRetry = { initialDelay: 10, maxDelay: 20, jitter: 'none' as const };

/** Durable semantics on each transport, in one process (cross-process tests are in durable-processes). */
describe.each<TransportCase>(['memory', 'redis', 'cluster'])(
  'durable delivery on the %s transport',
  transport => {
    let redis: RedisServer | undefined;
    let cluster: RedisCluster | undefined;
    const apps: INestApplicationContext[] = [];
    // The memory transport is one broker per app, so "instances" share one app there.
    let shared: INestApplicationContext | undefined;
    const deadLettersOf = new Map<EventBusService, DeadLetterService>();
    const letters = (bus: EventBusService): DeadLetterService =>
      deadLettersOf.get(bus)!;

    async function instance(serviceName: string): Promise<EventBusService> {
      if (transport === 'memory' && shared) return shared.get(EventBusService);
      const options: EventBusModuleOptions = {
        serviceName,
        transport: transport === 'memory' ? 'memory' : 'redis',
        logLevel: 'error',
        retry: fastRetry,
        durable: { claimIdleMs: 300, claimIntervalMs: 100, blockMs: 200 },
      };
      const channelPrefix = `t${Date.now()}${Math.random().toString(36).slice(2, 6)}:`;
      if (redis) options.redis = { url: redis.url, channelPrefix };
      if (cluster)
        options.redis = { cluster: { nodes: cluster.nodes }, channelPrefix };
      const moduleRef = await Test.createTestingModule({
        imports: [EventBusModule.forRoot(options)],
      }).compile();
      const app = await moduleRef.init();
      apps.push(app);
      if (transport === 'memory') shared = app;
      deadLettersOf.set(app.get(EventBusService), app.get(DeadLetterService));
      return app.get(EventBusService);
    }

    beforeAll(async () => {
      if (transport === 'redis') redis = await RedisServer.start();
      if (transport === 'cluster')
        cluster = await RedisCluster.start({ masters: 3 });
    });

    afterEach(async () => {
      await Promise.all(apps.splice(0).map(app => app.close()));
      shared = undefined;
    });

    afterAll(async () => {
      await redis?.stop();
      await cluster?.stop();
    });

    it('delivers each event once per group: competing consumers share, other groups get everything', async () => {
      const a = await instance('svc');
      const workers = new Collector<string>();
      const audit = new Collector<string>();
      await a.subscribe('purchase.*', e => workers.push(`a:${e.id}`), {
        durable: true,
        group: 'workers',
      });
      await a.subscribe('purchase.*', e => workers.push(`a2:${e.id}`), {
        durable: true,
        group: 'workers',
      });
      await a.subscribe('purchase.**', e => audit.push(e.id), {
        durable: true,
        group: 'audit',
      });
      const ids: string[] = [];
      for (let i = 0; i < 50; i++)
        ids.push((await a.publish('purchase.created', { i })).eventId);
      await workers.waitFor(50);
      await audit.waitFor(50);
      // One more after them, read last from the stream by both groups.
      const marker = (await a.publish('purchase.created', { i: 50 })).eventId;
      const handled = (await workers.until(s => s.endsWith(`:${marker}`))).map(
        s => s.split(':')[1],
      );
      expect(handled.sort()).toEqual([...ids].sort());
      expect((await audit.until(id => id === marker)).sort()).toEqual(
        [...ids].sort(),
      );
    });

    it('does not append fan-out-only events to streams', async () => {
      const a = await instance('svc');
      await a.subscribe('only.*', () => undefined);
      await a.publish('only.fanout', {});
      expect(await a.getDurableLag()).toEqual([]);
    });

    it('retries a failing durable handler, then dead-letters with the error; replay delivers it again', async () => {
      const a = await instance('svc');
      let fixed = false;
      const attempts = new Collector<string>();
      const done = new Collector<EventEnvelope>();
      await a.subscribe(
        'payment.charged',
        event => {
          attempts.push(event.id);
          if (!fixed) throw new Error('card processor down');
          done.push(event);
        },
        {
          durable: true,
          group: 'billing',
          retry: { maxRetries: 2 },
          name: 'Billing.charge',
        },
      );
      const { eventId } = await a.publish('payment.charged', { amount: 5 });
      await attempts.waitFor(3);
      await waitUntil(
        async () => (await letters(a).count()) === 1,
        5000,
        'the dead letter',
      );
      const [letter] = await letters(a).list();
      expect(letter).toMatchObject({
        stream: 'payment',
        eventId,
        type: 'payment.charged',
        group: 'billing',
        handler: 'Billing.charge',
        error: 'card processor down',
        attempts: 3,
      });
      expect(letter.stack).toContain('card processor down');
      expect(Date.parse(letter.firstFailureAt)).toBeLessThanOrEqual(
        Date.parse(letter.lastFailureAt),
      );
      expect(a.getStats().eventsDeadLettered).toBe(1);
      // Dead-lettered after the last attempt: no attempt can follow.
      expect(attempts.items).toHaveLength(3);

      fixed = true;
      expect(await letters(a).replay('payment', letter.id)).toBe(true);
      const [replayed] = await done.waitFor(1);
      expect(replayed.id).toBe(eventId);
      expect(await letters(a).count()).toBe(0);
      expect(await letters(a).replay('payment', letter.id)).toBe(false);
    });

    it('retries a durable handler that fails twice, then acks it once it succeeds', async () => {
      const a = await instance('svc');
      const attempts = new Collector<string>();
      const done = new Collector<string>();
      await a.subscribe(
        'shipment.booked',
        event => {
          attempts.push(event.id);
          if (attempts.items.filter(id => id === event.id).length <= 2)
            throw new Error('carrier busy');
          done.push(event.id);
        },
        { durable: true, group: 'shipping', retry: { maxRetries: 3 } },
      );
      const { eventId } = await a.publish('shipment.booked', {});
      expect(await done.waitFor(1)).toEqual([eventId]);
      // Another shipment after it, done only once the first was acknowledged: no attempt of the first follows.
      const marker = (await a.publish('shipment.booked', {})).eventId;
      expect(await done.until(id => id === marker)).toEqual([eventId]);
      expect(attempts.items.filter(id => id !== marker)).toEqual([
        eventId,
        eventId,
        eventId,
      ]);
      expect(await letters(a).count('shipment')).toBe(0);
      // Published (1) = handled (1) + dead-lettered (0); nothing left pending.
      await waitUntil(
        async () => (await a.getDurableLag()).every(l => l.pending === 0),
        5000,
        'the ack',
      );
    });

    it('replays a dead letter to its original group only', async () => {
      const a = await instance('svc');
      const failing = new Collector<string>();
      const other = new Collector<string>();
      let fail = true;
      await a.subscribe(
        'mail.sent',
        e => {
          failing.push(e.id);
          if (fail) throw new Error('smtp');
        },
        { durable: true, group: 'mailer', retry: { maxRetries: 0 } },
      );
      await a.subscribe('mail.sent', e => other.push(e.id), {
        durable: true,
        group: 'stats',
      });
      await a.publish('mail.sent', {});
      await other.waitFor(1);
      await waitUntil(
        async () => (await letters(a).count('mail')) === 1,
        5000,
        'the dead letter',
      );
      fail = false;
      const [letter] = await letters(a).list({ stream: 'mail' });
      await letters(a).replay('mail', letter.id);
      await failing.waitFor(2);
      // A new mail after the replay: stats gets it, and would have got a replayed copy before it.
      const marker = (await a.publish('mail.sent', {})).eventId;
      expect(await other.until(id => id === marker)).toHaveLength(1);
    });

    it('skips a redelivered event within the idempotency window', async () => {
      const a = await instance('svc');
      const seen = new Collector<string>();
      // Concurrency 1: the window guards redeliveries of a handled event, not two copies running at once.
      await a.subscribe('invoice.issued', e => seen.push(e.id), {
        durable: true,
        group: 'invoices',
        concurrency: 1,
        idempotency: { windowMs: 60_000 },
      });
      await a.publish('invoice.issued', { n: 1 }, { idempotencyKey: 'inv-1' });
      await a.publish('invoice.issued', { n: 1 }, { idempotencyKey: 'inv-1' });
      await a.publish('invoice.issued', { n: 2 }, { idempotencyKey: 'inv-2' });
      await seen.waitFor(2);
      const marker = (
        await a.publish('invoice.issued', { n: 3 }, { idempotencyKey: 'inv-3' })
      ).eventId;
      expect(await seen.until(id => id === marker)).toHaveLength(2);
    });

    it('starts a new group at new events by default, or at the beginning when asked', async () => {
      const a = await instance('svc');
      await a.subscribe('stock.moved', () => undefined, {
        durable: true,
        group: 'first',
      });
      await a.publish('stock.moved', { n: 1 });
      await new Promise(r => setTimeout(r, 20));
      const late = new Collector<unknown>();
      const replay = new Collector<unknown>();
      await a.subscribe('stock.moved', e => late.push(e.data), {
        durable: true,
        group: 'late',
      });
      await a.subscribe('stock.moved', e => replay.push(e.data), {
        durable: true,
        group: 'replay',
        startFrom: 'beginning',
      });
      await a.publish('stock.moved', { n: 2 });
      await late.waitFor(1);
      await replay.waitFor(2);
      await a.publish('stock.moved', { n: 3 });
      const isMarker = (data: unknown) => (data as { n: number }).n === 3;
      expect(await late.until(isMarker)).toEqual([{ n: 2 }]);
      expect(await replay.until(isMarker)).toEqual([{ n: 1 }, { n: 2 }]);
    });

    it('keeps order within a stream with concurrency 1', async () => {
      const a = await instance('svc');
      const seen = new Collector<number>();
      await a.subscribe(
        'ledger.*',
        async e => {
          await new Promise(r => setTimeout(r, Math.random() * 3));
          seen.push((e.data as { n: number }).n);
        },
        { durable: true, group: 'ledger', concurrency: 1 },
      );
      for (let n = 0; n < 30; n++)
        await a.publish(n % 2 ? 'ledger.debit' : 'ledger.credit', { n });
      await seen.waitFor(30);
      expect(seen.items).toEqual(Array.from({ length: 30 }, (_, n) => n));
    });

    it('routes wildcard-first patterns across streams', async () => {
      const a = await instance('svc');
      const seen = new Collector<string>();
      await a.subscribe(
        '*.processing.done',
        e =>
          seen.push((e.data as { marker?: true }).marker ? 'marker' : e.type),
        { durable: true, group: 'any-processing' },
      );
      await a.publish('photo.processing.done', {});
      await a.publish('video.processing.done', {});
      await a.publish('video.processing.started', {});
      await seen.waitFor(2, 10_000);
      // One marker per stream, after the events under test on it.
      await a.publish('photo.processing.done', { marker: true });
      await a.publish('video.processing.done', { marker: true });
      expect(
        (await seen.until(type => type === 'marker', 10_000, 2)).sort(),
      ).toEqual(['photo.processing.done', 'video.processing.done']);
    });
  },
);
