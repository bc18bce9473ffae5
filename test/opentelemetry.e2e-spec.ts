import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { EventBusService, type EventEnvelope } from '@shared-infra/event-bus';
import { Redis } from 'ioredis';
import type { SpanRecord } from './fixtures/otel/otel-sdk.js';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { ChildApp } from './utils/child-app.js';
import { waitUntil } from './utils/collector.js';
import {
  connectClient,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

// @opentelemetry/api's SpanKind and SpanStatusCode.
const SERVER = 1;
const PRODUCER = 3;
const CONSUMER = 4;
const ERROR = 2;

/** The fixture's prefix is the default one. */
const STREAM = 'eventbus:{image}:stream';

function envelope(type: string, metadata: Record<string, unknown>): string {
  return JSON.stringify({
    id: `01JTEST${String(Math.floor(Math.random() * 1e9)).padStart(19, '0')}`,
    type,
    data: { userId: 'bob', photoId: 'bob-9' },
    metadata: {
      source: 'redis-cli',
      timestamp: new Date().toISOString(),
      traceId: 'trace-from-redis-cli',
      correlationId: 'trace-from-redis-cli',
      ...metadata,
    },
    version: 1,
  });
}

/**
 * OpenTelemetry, as an app enables it: the SDK's Node tracer provider (in-memory
 * exporter) and the HTTP instrumentation in the app's process, on Redis. The
 * bus writes W3C trace context into each envelope and makes a span per publish
 * and per handler delivery, so one trace follows an HTTP request to a socket.
 */
describe('OpenTelemetry', () => {
  let redis: RedisServer;
  let app: ChildApp;
  let url: string;
  let raw: Redis;
  const clients: TestClient[] = [];

  const spans = () => app.request<SpanRecord[]>({ cmd: 'spans' });
  const spansUntil = async (
    what: string,
    check: (all: SpanRecord[]) => boolean,
  ): Promise<SpanRecord[]> => {
    let all: SpanRecord[] = [];
    await waitUntil(async () => check((all = await spans())), 10_000, what);
    return all;
  };
  const post = async (path: string, body: unknown = {}) => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { eventId: string; traceId: string };
  };
  const handled = (handler: string) =>
    app.events.items.filter(e => e.handler === handler).map(e => e.event);

  beforeAll(async () => {
    redis = await RedisServer.start();
    app = await ChildApp.start('otel/otel-app.main', { REDIS_URL: redis.url });
    url = `http://127.0.0.1:${await app.request<number>({ cmd: 'port' })}`;
    raw = new Redis(redis.url);
  });

  afterEach(async () => {
    clients.splice(0).forEach(c => c.close());
    await app.request({ cmd: 'reset' });
  });

  afterAll(async () => {
    raw?.disconnect();
    await app?.stop();
    await redis?.stop();
  });

  it('one trace crosses HTTP → publish → Redis → durable handler → publish to a room → gateway → socket', async () => {
    const client = await connectClient(
      url,
      { token: tokenFor('alice') },
      { transports: ['websocket'] },
    );
    clients.push(client);
    expect(
      await client.request('subscribe', { room: 'image:alice-1' }),
    ).toMatchObject({ ok: true });

    const published = await post('/images', {
      userId: 'alice',
      photoId: 'alice-1',
    });
    const [received] = await client.events
      .until(e => e.type === 'image.processed', 10_000)
      .then(() => client.events.items);
    expect(received).toMatchObject({
      type: 'image.processed',
      room: 'image:alice-1',
    });

    const all = await spansUntil('the gateway span', list =>
      list.some(s => s.name === 'EventBusGateway.deliver'),
    );
    const byName = (name: string) => {
      const found = all.filter(s => s.name === name);
      expect(found).toHaveLength(1);
      return found[0];
    };
    const http = all.find(s => s.kind === SERVER && s.name.startsWith('POST'));
    expect(http).toBeDefined();
    const publish = byName('publish image.uploaded');
    const handler = byName('ImageProcessor.onUploaded');
    const publishToRoom = byName('publish image.processed');
    const gateway = byName('EventBusGateway.deliver');

    // One trace, and the bus' traceId is its id.
    const traceId = http!.traceId;
    for (const span of [publish, handler, publishToRoom, gateway])
      expect(span.traceId).toBe(traceId);
    expect(published.traceId).toBe(traceId);

    // Each hop is a child of the one before.
    expect(publish.parentSpanId).toBe(http!.spanId);
    expect(handler.parentSpanId).toBe(publish.spanId);
    expect(publishToRoom.parentSpanId).toBe(handler.spanId);
    expect(gateway.parentSpanId).toBe(publishToRoom.spanId);

    // Span kinds and the messaging attributes.
    expect(publish).toMatchObject({
      kind: PRODUCER,
      attributes: {
        'messaging.system': 'redis',
        'messaging.destination.name': 'image.uploaded',
        'messaging.operation.type': 'send',
        'messaging.message.id': published.eventId,
      },
    });
    expect(handler).toMatchObject({
      kind: CONSUMER,
      attributes: {
        'messaging.system': 'redis',
        'messaging.destination.name': 'image.uploaded',
        'messaging.operation.type': 'process',
        'messaging.message.id': published.eventId,
        'messaging.consumer.group.name': 'processors',
        'event_bus.deliveries': 1,
        'event_bus.outcome': 'delivered',
      },
    });
    expect(publishToRoom.attributes['event_bus.room']).toBe('image:alice-1');
    expect(gateway).toMatchObject({
      kind: CONSUMER,
      attributes: {
        'messaging.destination.name': 'image.processed',
        'event_bus.room': 'image:alice-1',
      },
    });

    // The envelope carried the publish span's context beside the bus' traceId.
    const [event] = handled('ImageProcessor.onUploaded');
    expect(event.metadata).toMatchObject({
      traceId,
      traceparent: `00-${traceId}-${publish.spanId}-01`,
    });
  });

  it('retries are events of the delivery span; a final failure sets status ERROR', async () => {
    await post('/jobs/job.flaky');
    await post('/jobs/job.doomed');
    const all = await spansUntil(
      'both deliveries',
      list =>
        list.some(s => s.name === 'Jobs.onFlaky') &&
        list.some(s => s.name === 'Jobs.onDoomed'),
    );
    const flaky = all.find(s => s.name === 'Jobs.onFlaky')!;
    expect(flaky.events.map(e => e.name)).toEqual([
      'exception',
      'event_bus.retry',
    ]);
    expect(flaky.events[1].attributes).toMatchObject({
      'event_bus.attempt': 1,
    });
    expect(flaky.status.code).not.toBe(ERROR);
    expect(flaky.attributes).toMatchObject({
      'event_bus.attempts': 2,
      'event_bus.outcome': 'delivered',
    });

    const doomed = all.find(s => s.name === 'Jobs.onDoomed')!;
    expect(doomed.events.map(e => e.name)).toEqual([
      'exception',
      'event_bus.retry',
      'exception',
    ]);
    expect(doomed.status).toEqual({ code: ERROR, message: 'doomed failure' });
    expect(doomed.attributes).toMatchObject({
      'event_bus.attempts': 2,
      'event_bus.outcome': 'failed',
      'error.type': 'Error',
    });
    // The publish span is the parent: the trace shows what the failing handler was handed.
    const publish = all.find(s => s.name === 'publish job.doomed')!;
    expect(doomed.parentSpanId).toBe(publish.spanId);
  });

  it("a foreign publisher's malformed traceparent is ignored: the handler runs, in a trace of its own", async () => {
    const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const malformed: unknown[] = [
      'garbage',
      42,
      { traceId: 'x' },
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, // all-zero trace id
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01', // upper case
      `${valid}-extra`, // version 00 has no more fields
      `ff-${valid.slice(3)}`, // version ff is invalid
    ];
    for (const traceparent of malformed)
      await raw.publish(
        'eventbus:foreign.event',
        envelope('foreign.event', { traceparent, tracestate: ['not', 'text'] }),
      );
    await raw.publish(
      'eventbus:foreign.event',
      envelope('foreign.event', {
        traceparent: valid,
        tracestate: 'congo=t61rcWkgMzE',
      }),
    );
    await waitUntil(
      () => handled('Jobs.onForeign').length === malformed.length + 1,
      10_000,
      'every foreign event handled',
    );
    const all = await spansUntil(
      'the foreign deliveries',
      list =>
        list.filter(s => s.name === 'Jobs.onForeign').length ===
        malformed.length + 1,
    );
    const deliveries = all.filter(s => s.name === 'Jobs.onForeign');
    const joined = deliveries.filter(
      s => s.traceId === '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(joined).toHaveLength(1);
    expect(joined[0].parentSpanId).toBe('00f067aa0ba902b7');
    const alone = deliveries.filter(s => s !== joined[0]);
    expect(alone).toHaveLength(malformed.length);
    for (const span of alone) {
      expect(span.parentSpanId).toBeUndefined();
      // The bus' own trace id stays findable on the span.
      expect(span.attributes['event_bus.trace_id']).toBe(
        'trace-from-redis-cli',
      );
    }
    // The events themselves are untouched: the handler got the foreign metadata as sent.
    expect(handled('Jobs.onForeign').map(e => e.metadata.traceparent)).toEqual([
      ...malformed,
      valid,
    ]);
  });

  it('a durable entry taken over from a stopped consumer is delivered in a new trace, linked to the publish', async () => {
    const traceparent =
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    // An entry delivered to a consumer that then died: XADD and its read in one transaction,
    // so that the app's own consumer cannot read it first.
    await raw
      .multi()
      .call(
        'XADD',
        STREAM,
        '*',
        'e',
        envelope('image.uploaded', { traceparent }),
      )
      .call(
        'XREADGROUP',
        'GROUP',
        'processors',
        'dead-consumer',
        'COUNT',
        '1',
        'STREAMS',
        STREAM,
        '>',
      )
      .exec();
    const all = await spansUntil('the redelivery', list =>
      list.some(s => s.name === 'ImageProcessor.onUploaded'),
    );
    const redelivery = all.find(s => s.name === 'ImageProcessor.onUploaded')!;
    expect(redelivery.parentSpanId).toBeUndefined();
    expect(redelivery.traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(redelivery.links).toEqual([
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        attributes: { 'event_bus.link': 'redelivery' },
      },
    ]);
    expect(redelivery.attributes).toMatchObject({
      'event_bus.deliveries': 2,
      'messaging.consumer.group.name': 'processors',
    });
  });
});

/**
 * The same bus in a process where no tracer provider is registered (this test
 * process: @opentelemetry/api is installed, no SDK): nothing changes.
 */
describe('OpenTelemetry installed but not set up', () => {
  let redis: RedisServer;
  let bus: INestApplicationContext;

  beforeAll(async () => {
    redis = await RedisServer.start();
    bus = await startBusApp(redis.url, { serviceName: 'no-sdk' });
  });

  afterAll(async () => {
    await bus?.close();
    await redis?.stop();
  });

  it('writes no traceparent and keeps its own trace id', async () => {
    const events = bus.get(EventBusService);
    const got: EventEnvelope[] = [];
    await events.subscribe('plain.*', async event => {
      got.push(event);
      if (event.type === 'plain.first')
        await events.publish('plain.second', {});
    });
    const result = await events.publish('plain.first', {});
    await waitUntil(() => got.length === 2, 5000, 'both events');
    for (const event of got) {
      expect(event.metadata.traceparent).toBeUndefined();
      expect(event.metadata.tracestate).toBeUndefined();
      expect(event.metadata.traceId).toBe(result.traceId);
    }
    // Generated by the bus, in the W3C format all the same.
    expect(result.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
