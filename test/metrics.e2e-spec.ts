import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  DeadLetterService,
  EventBusService,
  InvalidConfigurationError,
  type EventBusModuleOptions,
} from '@shared-infra/event-bus';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { MetricsConsumer } from './fixtures/metrics.consumer.js';
import {
  METRICS_REGISTRY,
  MetricsController,
} from './fixtures/metrics.controller.js';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';
import {
  parseMetrics,
  sampleSum,
  sampleValue,
  type Sample,
} from './utils/prometheus.js';

describe('Prometheus metrics on real Redis, scraped over HTTP', () => {
  let redis: RedisServer;
  const apps: INestApplication[] = [];

  async function startApp(
    options: Partial<EventBusModuleOptions>,
    registry = new Registry(),
  ): Promise<{
    app: INestApplication;
    bus: EventBusService;
    deadLetters: DeadLetterService;
    port: number;
    registry: Registry;
  }> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          serviceName: 'metrics-service',
          transport: 'redis',
          redis: { url: redis.url },
          logLevel: 'error',
          durable: { blockMs: 200, claimIntervalMs: 200 },
          ...options,
          metrics: { registry, ...options.metrics },
        }),
      ],
      providers: [
        MetricsConsumer,
        { provide: METRICS_REGISTRY, useValue: registry },
      ],
      controllers: [MetricsController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    const port = await freePort();
    await app.listen(port, '127.0.0.1');
    return {
      app,
      bus: app.get(EventBusService),
      deadLetters: app.get(DeadLetterService),
      port,
      registry,
    };
  }

  async function scrape(port: number): Promise<Sample[]> {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    return parseMetrics(await response.text());
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    await redis.stop();
  });

  it('counts exactly what was published, delivered, failed, retried, dead-lettered and malformed, by type; getStats() agrees', async () => {
    const { bus, deadLetters, port } = await startApp({
      metrics: { enabled: true, typeSegments: 2 },
    });
    const publish = (type: string, count: number, fail = false) =>
      Promise.all(
        Array.from({ length: count }, () => bus.publish(type, { fail })),
      );
    await publish('order.created.eu', 4);
    await publish('order.created.us', 2);
    await publish('order.created.us', 1, true);
    await publish('order.cancelled', 2, true);
    await publish('retry.flaky', 1);
    await publish('payment.charged', 2);
    await publish('payment.charged', 1, true);
    // A foreign client writing garbage on one of our channels.
    const raw = new Redis(redis.url);
    await raw.publish('eventbus:order.created.eu', 'not an envelope');
    raw.disconnect();

    await waitUntil(
      () => {
        const stats = bus.getStats();
        return (
          stats.eventsDelivered === 8 &&
          stats.eventsFailed === 5 &&
          stats.eventsDeadLettered === 1 &&
          stats.eventsMalformed === 1
        );
      },
      10_000,
      'every event to be handled',
    );
    const samples = await scrape(port);
    const value = (name: string, type: string) =>
      sampleValue(samples, `eventbus_${name}`, { type });

    // The type label is the first two segments: order.created.eu and order.created.us share one.
    expect(value('events_published_total', 'order.created')).toBe(7);
    expect(value('events_published_total', 'order.cancelled')).toBe(2);
    expect(value('events_published_total', 'retry.flaky')).toBe(1);
    expect(value('events_published_total', 'payment.charged')).toBe(3);
    expect(value('events_delivered_total', 'order.created')).toBe(6);
    expect(value('events_failed_total', 'order.created')).toBe(1);
    expect(value('events_delivered_total', 'order.cancelled')).toBe(0);
    expect(value('events_failed_total', 'order.cancelled')).toBe(2);
    expect(value('events_failed_total', 'retry.flaky')).toBe(1);
    expect(value('events_retried_total', 'retry.flaky')).toBe(2);
    expect(value('events_delivered_total', 'payment.charged')).toBe(2);
    expect(value('events_failed_total', 'payment.charged')).toBe(1);
    expect(value('events_dead_lettered_total', 'payment.charged')).toBe(1);
    // Heard through the wildcard `order.**`: the channel's text is the publisher's, so it is no label.
    expect(value('events_malformed_total', '_unknown')).toBe(1);
    expect(value('events_malformed_total', 'order.created')).toBe(0);
    // Every label appears in every counter, at 0 where nothing happened (the garbage's _unknown too).
    expect(
      samples
        .filter(s => s.name === 'eventbus_events_published_total')
        .map(s => s.labels.type)
        .sort(),
    ).toEqual([
      '_unknown',
      'order.cancelled',
      'order.created',
      'payment.charged',
      'retry.flaky',
    ]);

    // One histogram observation per handler call (attempt), by outcome.
    const duration = (type: string, outcome: string) =>
      sampleValue(samples, 'eventbus_handler_duration_seconds_count', {
        type,
        outcome,
      });
    expect(duration('order.created', 'success')).toBe(6);
    expect(duration('order.created', 'failure')).toBe(1);
    expect(duration('retry.flaky', 'failure')).toBe(3);
    expect(duration('payment.charged', 'success')).toBe(2);

    // Durable gauges, read on scrape.
    expect(
      sampleValue(samples, 'eventbus_dead_letters', { stream: 'payment' }),
    ).toBe(1);
    expect(
      sampleValue(samples, 'eventbus_durable_pending', {
        stream: 'payment',
        group: 'metrics-payments',
      }),
    ).toBe(0);
    expect(
      sampleValue(samples, 'eventbus_durable_lag', {
        stream: 'payment',
        group: 'metrics-payments',
      }),
    ).toBe(0);
    expect(sampleValue(samples, 'eventbus_transport_connected')).toBe(1);
    expect(sampleValue(samples, 'eventbus_subscriptions')).toBe(3);

    // Same counting points as getStats(): the totals over all labels are its figures.
    const stats = bus.getStats();
    expect({
      published: sampleSum(samples, 'eventbus_events_published_total'),
      delivered: sampleSum(samples, 'eventbus_events_delivered_total'),
      failed: sampleSum(samples, 'eventbus_events_failed_total'),
      retried: sampleSum(samples, 'eventbus_events_retried_total'),
      deadLettered: sampleSum(samples, 'eventbus_events_dead_lettered_total'),
      malformed: sampleSum(samples, 'eventbus_events_malformed_total'),
      received: sampleValue(samples, 'eventbus_events_received_total'),
    }).toEqual({
      published: stats.eventsPublished,
      delivered: stats.eventsDelivered,
      failed: stats.eventsFailed,
      retried: stats.eventsRetried,
      deadLettered: stats.eventsDeadLettered,
      malformed: stats.eventsMalformed,
      received: stats.eventsReceived,
    });
    expect(stats).toMatchObject({
      eventsPublished: 13,
      eventsDelivered: 8,
      eventsFailed: 5,
      eventsRetried: 2,
    });
    await deadLetters.purge('payment');
  });

  it('caps the type label: types past maxTypeLabels count under _other', async () => {
    const { bus, port } = await startApp({
      metrics: { enabled: true, typeSegments: 2, maxTypeLabels: 2 },
    });
    for (const type of ['order.a', 'order.b', 'order.c', 'order.d'])
      await bus.publish(type, {});
    await waitUntil(
      () => bus.getStats().eventsDelivered === 4,
      5000,
      'the four events',
    );
    const samples = await scrape(port);
    expect(
      samples
        .filter(s => s.name === 'eventbus_events_delivered_total')
        .map(s => [s.labels.type, s.value]),
    ).toEqual([
      ['order.a', 1],
      ['order.b', 1],
      ['_other', 2],
    ]);
  });

  it('registers nothing with metrics off; a second bus on the same registry is refused with the fix; close() unregisters', async () => {
    const registry = new Registry();
    await startApp({ metrics: { enabled: false } }, registry);
    expect(registry.getMetricsAsArray()).toEqual([]);

    const first = await startApp({ metrics: { enabled: true } }, registry);
    expect(
      registry.getSingleMetric('eventbus_events_published_total'),
    ).toBeDefined();
    const error = await startApp(
      { metrics: { enabled: true } },
      registry,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    expect((error as Error).message).toMatch(
      /already registered.*metrics\.registry or metrics\.prefix/,
    );

    await first.app.close();
    expect(registry.getMetricsAsArray()).toEqual([]);
    const again = await startApp(
      { metrics: { enabled: true, prefix: 'bus_' } },
      registry,
    );
    await again.bus.publish('order.updated', {});
    await waitUntil(
      () => again.bus.getStats().eventsDelivered === 1,
      5000,
      'the event',
    );
    expect(
      sampleValue(await scrape(again.port), 'bus_events_delivered_total', {
        type: 'order.updated',
      }),
    ).toBe(1);
  });
});
