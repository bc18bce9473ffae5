import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  EventBusService,
  EventValidationError,
  InvalidConfigurationError,
  type EventEnvelope,
  type EventBusModuleOptions,
} from '@shared-infra/event-bus';
import { IsInt, Max } from 'class-validator';
import { FixtureAppModule } from './fixtures/app.module.js';
import { ConcurrencyConsumer } from './fixtures/concurrency.consumer.js';
import { RecordingFilter } from './fixtures/enhancers.consumer.js';
import { Recorder } from './fixtures/recorder.service.js';
import { RedisServer } from './setup/redis-server.js';
import { Collector, waitUntil } from './utils/collector.js';

class SizedDto {
  @IsInt()
  @Max(100)
  size!: number;
}

type TransportCase = 'memory' | 'redis';

/** The event with this id: a marker published after the events under test. */
const byId = (id: string) => (event: EventEnvelope) => event.id === id;

/** The same behaviour on every transport (HOUSE_STYLE rule 13: one suite per transport). */
describe.each<TransportCase>(['memory', 'redis'])(
  'event bus on the %s transport',
  transport => {
    let redis: RedisServer | undefined;
    let app: INestApplicationContext;
    let bus: EventBusService;
    let recorder: Recorder;

    beforeAll(async () => {
      const options: EventBusModuleOptions = {
        serviceName: 'fixture-service',
        transport,
        schemas: { 'sized.event': SizedDto },
      };
      if (transport === 'redis') {
        redis = await RedisServer.start();
        options.redis = { url: redis.url };
      }
      const moduleRef = await Test.createTestingModule({
        imports: [FixtureAppModule.register(options)],
      }).compile();
      app = await moduleRef.init();
      bus = app.get(EventBusService);
      recorder = app.get(Recorder);
    });

    afterAll(async () => {
      await app?.close();
      await redis?.stop();
    });

    beforeEach(() => recorder.reset());

    it('delivers to an @OnEvent handler on its provider instance, with a full envelope', async () => {
      const upload = {
        photoId: 'p1',
        userId: 'u1',
        filename: 'a.jpg',
        size: 10,
        mimeType: 'image/jpeg',
        uploadedAt: new Date().toISOString(),
      };
      const result = await bus.publish('photo.uploaded', upload);
      const [event] = await recorder.channel('photo.uploaded').waitFor(1);
      expect(event.id).toBe(result.eventId);
      expect(event.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(event.type).toBe('photo.uploaded');
      expect(event.version).toBe(1);
      expect(event.metadata).toEqual(
        expect.objectContaining({
          source: 'fixture-service',
          traceId: result.traceId,
          correlationId: result.traceId,
        }),
      );
      expect(Date.parse(event.metadata.timestamp)).not.toBeNaN();
      // A second upload after it: once both handlers have it, no duplicate of the first can follow.
      const marker = await bus.publish('photo.uploaded', {
        ...upload,
        photoId: 'p1-marker',
      });
      expect(
        await recorder.channel('photo.uploaded').until(byId(marker.eventId)),
      ).toHaveLength(1);
      expect(
        await recorder.channel('photo.*').until(byId(marker.eventId)),
      ).toHaveLength(1);
    });

    it('routes by pattern: * is one segment, ** any number, exact is exact', async () => {
      const patterns = [
        'photo.*',
        'photo.**',
        '*.processing.*',
        'photo.processing.started',
        '**',
      ];
      const collectors = new Map(
        patterns.map(p => [p, new Collector<EventEnvelope>()]),
      );
      const subs = await Promise.all(
        patterns.map(p => bus.subscribe(p, collectors.get(p)!.push)),
      );
      const types = [
        'photo.uploaded',
        'photo.processing.started',
        'video.processing.done',
        'photo',
        'user.online',
      ];
      for (const type of types) await bus.publish(type, { n: 1 });
      // Markers after them that every pattern matches (and nothing else asserted on).
      for (const type of ['photo.marker', 'photo.processing.started'])
        await bus.publish(type, { marker: true });
      const isMarker = (e: EventEnvelope) =>
        (e.data as { marker?: boolean }).marker === true;
      const expected: Record<string, string[]> = {
        'photo.*': ['photo.uploaded'],
        'photo.**': ['photo.uploaded', 'photo.processing.started', 'photo'],
        '*.processing.*': ['photo.processing.started', 'video.processing.done'],
        'photo.processing.started': ['photo.processing.started'],
        '**': types,
      };
      for (const [pattern, want] of Object.entries(expected)) {
        await collectors.get(pattern)!.waitFor(want.length);
      }
      for (const [pattern, want] of Object.entries(expected)) {
        expect({
          pattern,
          got: (await collectors.get(pattern)!.until(isMarker))
            .map(e => e.type)
            .sort(),
        }).toEqual({ pattern, got: [...want].sort() });
      }
      await Promise.all(subs.map(s => s.unsubscribe()));
    });

    it('stops delivering after unsubscribe, and unsubscribe twice is false', async () => {
      const seen = new Collector();
      const sub = await bus.subscribe('unsub.test', seen.push);
      await bus.publish('unsub.test', { n: 1 });
      await seen.waitFor(1);
      expect(await sub.unsubscribe()).toBe(true);
      expect(await bus.unsubscribe(sub.id)).toBe(false);
      // Another subscriber of the type hears the next one: by then the old subscription would have too.
      const still = new Collector();
      const stillSub = await bus.subscribe('unsub.test', still.push);
      await bus.publish('unsub.test', { n: 2 });
      await still.waitFor(1);
      expect(seen.items).toHaveLength(1);
      await stillSub.unsubscribe();
    });

    it('adds up stacked @OnEvent decorators', async () => {
      await bus.publish('stack.one', {});
      await bus.publish('stack.two', {});
      const events = await recorder.channel('stacked').waitFor(2);
      expect(events.map(e => e.type).sort()).toEqual([
        'stack.one',
        'stack.two',
      ]);
    });

    it('retries a failing handler with backoff until it succeeds', async () => {
      await bus.publish('job.flaky', {});
      await recorder.channel('flaky.done').waitFor(1);
      expect(recorder.channel('flaky.attempt').items).toHaveLength(3);
    });

    it('gives up after maxRetries without stopping the other handlers of the event', async () => {
      const before = bus.getStats();
      await bus.publish('job.broken', {});
      await recorder.channel('neighbour').waitFor(1);
      await recorder.channel('broken.attempt').waitFor(3);
      await waitUntil(
        () => bus.getStats().eventsFailed === before.eventsFailed + 1,
        5000,
        'failed count',
      );
      // Counted as failed only after the last retry: no attempt can follow.
      expect(recorder.channel('broken.attempt').items).toHaveLength(3);
      expect(bus.getStats().eventsRetried - before.eventsRetried).toBe(2);
    });

    it('counts a handler that overruns its timeout as failed', async () => {
      const before = bus.getStats().eventsFailed;
      await bus.publish('job.slow', {});
      await recorder.channel('slow.start').waitFor(1);
      await waitUntil(
        () => bus.getStats().eventsFailed === before + 1,
        2000,
        'timeout failure',
      );
    });

    it('applies AND/OR filter conditions', async () => {
      await bus.publish('filter.a', { priority: 'high', size: 2_000_000 });
      await bus.publish('filter.b', { priority: 'high', size: 10 });
      await bus.publish('filter.c', {
        priority: 'low',
        size: 2_000_000,
        tag: 'vip',
      });
      await bus.publish('filter.d', { priority: 'low' });
      const marker = await bus.publish('filter.e', { tag: 'admin' });
      const types = (
        await recorder.channel('filtered').until(byId(marker.eventId))
      ).map(e => e.type);
      expect(types.sort()).toEqual(['filter.a', 'filter.c']);
    });

    it('keeps a handler within its concurrency limit', async () => {
      const consumer = app.get(ConcurrencyConsumer);
      consumer.maxSeen = 0;
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => bus.publish('work.item', { i })),
      );
      await recorder.channel('work.done').waitFor(10);
      expect(consumer.maxSeen).toBe(2);
    });

    it('runs guards: a guard that says no turns the event away', async () => {
      await bus.publish('guarded.event', { blocked: true });
      await bus.publish('guarded.event', { blocked: false });
      const marker = await bus.publish('guarded.event', { blocked: false });
      await recorder.channel('guard:event-bus').waitFor(3);
      expect(
        await recorder.channel('guarded').until(byId(marker.eventId)),
      ).toHaveLength(1);
      expect(recorder.channel('guarded').items[0].data).toEqual({
        blocked: false,
      });
    });

    it('runs class-level interceptors around handlers', async () => {
      await bus.publish('guarded.event', { blocked: false });
      await recorder.channel('interceptor.after').waitFor(1);
      expect(recorder.channel('interceptor.before').items).toHaveLength(1);
    });

    it('runs pipes on @EventPayload(): valid data arrives as a DTO, invalid never reaches the handler', async () => {
      await bus.publish('order.placed', { orderId: 'o1', quantity: 2 });
      await bus.publish('order.placed', { orderId: 'o2', quantity: 0 });
      const [event] = await recorder.channel('order.dto').waitFor(1);
      expect(event.data).toEqual({ orderId: 'o1', quantity: 2 });
      // A valid order after the invalid one: once it is handled, the invalid one had its turn.
      const marker = await bus.publish('order.placed', {
        orderId: 'o3',
        quantity: 1,
      });
      expect(
        await recorder.channel('order.dto').until(byId(marker.eventId)),
      ).toHaveLength(1);
      expect(recorder.channel('order.plain').items).toHaveLength(0);
    });

    it('hands handler errors to @UseFilters exception filters', async () => {
      RecordingFilter.caught.length = 0;
      await bus.publish('filtered.failure', {});
      const before = bus.getStats();
      await bus.publish('filtered.failure', {});
      await waitUntil(
        () => RecordingFilter.caught.length === 2,
        2000,
        'filter to catch',
      );
      expect((RecordingFilter.caught[0] as Error).message).toBe(
        'caught by the filter',
      );
      // The filter handled it: neither failure nor retry.
      await waitUntil(
        () => bus.getStats().eventsDelivered >= before.eventsDelivered + 1,
        2000,
        'delivery',
      );
      expect(bus.getStats().eventsFailed).toBe(before.eventsFailed);
    });

    it('carries the trace from a handled event to the events its handler publishes', async () => {
      const start = await bus.publish(
        'trace.start',
        {},
        { correlationId: 'order-42' },
      );
      const [next] = await recorder.channel('trace.next').waitFor(1);
      expect(next.metadata.traceId).toBe(start.traceId);
      expect(next.metadata.correlationId).toBe('order-42');
      expect(next.metadata.causationId).toBe(start.eventId);
      const fresh = await bus.publish('trace.unrelated', {});
      expect(fresh.traceId).not.toBe(start.traceId);
    });

    it('rejects bad events on publish with EventValidationError naming the field and limit', async () => {
      const seen = new Collector();
      const sub = await bus.subscribe('**', seen.push);
      const big = 'x'.repeat(600 * 1024);
      await expect(bus.publish('blob.stored', { big })).rejects.toMatchObject({
        name: 'EventValidationError',
        field: 'data',
        limit: 512 * 1024,
      });
      await expect(bus.publish('Photo Uploaded', {})).rejects.toBeInstanceOf(
        EventValidationError,
      );
      await expect(bus.publish('photo..uploaded', {})).rejects.toMatchObject({
        field: 'type',
      });
      await expect(
        bus.publish('sized.event', { size: 1000 }),
      ).rejects.toMatchObject({ field: 'data.size' });
      await expect(bus.publish('sized.event', { size: 'ten' })).rejects.toThrow(
        /size must be an integer/,
      );
      await expect(bus.publish('any.event', undefined)).rejects.toMatchObject({
        field: 'data',
      });
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await expect(bus.publish('any.event', circular)).rejects.toMatchObject({
        field: 'data',
      });
      await expect(
        bus.publish('any.event', {}, { traceId: '' }),
      ).rejects.toMatchObject({ field: 'metadata.traceId' });
      await bus.publish('sized.event', { size: 5 });
      const marker = await bus.publish('sized.event', { size: 6 });
      const events = await seen.until(byId(marker.eventId));
      expect(events).toHaveLength(1);
      expect(events[0].type).toBe('sized.event');
      await sub.unsubscribe();
    });

    it('refuses invalid subscription patterns and filters with InvalidConfigurationError', async () => {
      await expect(
        bus.subscribe('photo.*.', () => undefined),
      ).rejects.toBeInstanceOf(InvalidConfigurationError);
      await expect(
        bus.subscribe('photo.*', () => undefined, {
          filter: {
            conditions: [{ field: 'data.x', operator: 'nope' as never }],
          },
        }),
      ).rejects.toBeInstanceOf(InvalidConfigurationError);
    });

    it('sets room, user and broadcast targets in metadata', async () => {
      const seen = new Collector<EventEnvelope>();
      const sub = await bus.subscribe('target.*', seen.push);
      await bus.publishToRoom('photo:1', 'target.room', {});
      await bus.publishToUser('u-9', 'target.user', {});
      await bus.broadcast('target.all', {});
      const events = await seen.waitFor(3);
      const byType = Object.fromEntries(events.map(e => [e.type, e.metadata]));
      expect(byType['target.room'].room).toBe('photo:1');
      expect(byType['target.user'].userId).toBe('u-9');
      expect(byType['target.all'].broadcast).toBe(true);
      await sub.unsubscribe();
    });

    it('reports health and stats', async () => {
      const health = await bus.healthCheck();
      expect(health.status).toBe('healthy');
      expect(health.transport).toBe(transport);
      expect(health.connections.every(c => c.status === 'up')).toBe(true);
      const stats = bus.getStats();
      expect(stats.connected).toBe(true);
      expect(stats.eventsPublished).toBeGreaterThan(0);
      expect(stats.eventsDelivered).toBeGreaterThan(0);
      expect(stats.activeSubscriptions).toBeGreaterThan(10);
      expect(bus.isConnected()).toBe(true);
    });
  },
);
