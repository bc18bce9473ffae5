import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import {
  DeadLetterService,
  EventBusService,
  EventValidationError,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { Collector, waitUntil } from './utils/collector.js';
import { DemoProcess } from './utils/demo-process.js';

/** The bus' default channel prefix (option redis.channelPrefix). */
const PREFIX = 'eventbus:';
const DEEP = 200_000;
const DLQ_CLI = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'libs',
  'event-bus',
  'dist',
  'cli',
  'dlq.js',
);

/** `depth` objects inside one another: { d: { d: … 'bottom' } }. */
function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

/**
 * A well-formed envelope as a foreign client would write it, with `dataJson` spliced in as its
 * data (JSON.stringify cannot write 200,000 levels).
 */
function rawEnvelope(
  type: string,
  dataJson: string,
  metadata: Record<string, string> = {},
): string {
  const head = JSON.stringify({
    id: `raw-${Math.random().toString(36).slice(2)}`,
    type,
  });
  const tail = JSON.stringify({
    metadata: {
      source: 'intruder',
      timestamp: new Date().toISOString(),
      traceId: 'trace-raw',
      ...metadata,
    },
    version: 1,
  });
  return `${head.slice(0, -1)},"data":${dataJson},${tail.slice(1)}`;
}

/** Data nested `depth` levels deep (arrays), with a `userId` beside the nesting. */
function deepDataJson(depth: number, userId = 'deep-tester'): string {
  return `{"userId":"${userId}","nested":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

describe('deep nesting (security item 8)', () => {
  let redis: RedisServer;
  let raw: Redis;

  beforeAll(async () => {
    redis = await RedisServer.start();
    raw = new Redis(redis.url);
  });

  afterAll(async () => {
    raw?.disconnect();
    await redis?.stop();
  });

  describe('the bus', () => {
    let app: INestApplicationContext;
    let bus: EventBusService;
    let deadLetters: DeadLetterService;

    beforeAll(async () => {
      app = await startBusApp(redis.url, { serviceName: 'deep' });
      bus = app.get(EventBusService);
      deadLetters = app.get(DeadLetterService);
    });

    afterAll(async () => {
      await app?.close();
    });

    it('drops a 200,000-level envelope published raw as malformed, and delivers the next event', async () => {
      const received = new Collector();
      await bus.subscribe('deep.sample', event => received.push(event));
      const before = bus.getStats().eventsMalformed;

      const deep = rawEnvelope('deep.sample', deepDataJson(DEEP));
      expect(JSON.parse(deep)).toBeDefined(); // valid JSON: only its depth is wrong
      expect(await raw.publish(`${PREFIX}deep.sample`, deep)).toBe(1);
      await bus.publish('deep.sample', { n: 1 });

      const [only] = await received.waitFor(1);
      expect(only.data).toEqual({ n: 1 });
      const marker = await bus.publish('deep.sample', { n: 2 });
      expect(await received.until(e => e.id === marker.eventId)).toHaveLength(
        1,
      );
      expect(bus.getStats().eventsMalformed).toBe(before + 1);
    });

    it('refuses data deeper than limits.maxDepth (64) on publish, accepts 64 levels', async () => {
      const received = new Collector();
      await bus.subscribe('deep.limit', event => received.push(event));

      await expect(
        bus.publish('deep.limit', nested(64)),
      ).resolves.toHaveProperty('eventId');
      const error = await bus
        .publish('deep.limit', nested(65))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventValidationError);
      expect(error).toMatchObject({
        field: 'data',
        limit: 64,
        message: expect.stringMatching(/limits\.maxDepth/),
      });
      // Too deep even for JSON.stringify: the same error, not a RangeError.
      const overflow = await bus
        .publish('deep.limit', nested(DEEP))
        .catch((e: unknown) => e);
      expect(overflow).toBeInstanceOf(EventValidationError);
      expect(overflow).toMatchObject({
        field: 'data',
        limit: 64,
        message: expect.stringMatching(/limits\.maxDepth/),
      });

      const [delivered] = await received.waitFor(1);
      expect(JSON.stringify(delivered.data)).toBe(JSON.stringify(nested(64)));
      const marker = await bus.publish('deep.limit', { n: 1 });
      expect(await received.until(e => e.id === marker.eventId)).toHaveLength(
        1,
      );
    });

    it('dead-letters a deep entry of a durable stream as malformed, and dlq show prints it', async () => {
      const received = new Collector();
      await bus.subscribe('deepdurable.sample', event => received.push(event), {
        durable: true,
        group: 'deep-readers',
        retry: { maxRetries: 0 },
      });
      const before = bus.getStats().eventsMalformed;

      // XADD as the bus' store writes durable entries (field "e"), to the stream of the type's first segment.
      await raw.xadd(
        `${PREFIX}{deepdurable}:stream`,
        '*',
        'e',
        rawEnvelope('deepdurable.sample', deepDataJson(DEEP)),
      );
      await bus.publish('deepdurable.sample', { n: 2 });

      const [only] = await received.waitFor(1, 10_000);
      expect(only.data).toEqual({ n: 2 });
      await waitUntil(
        async () => (await deadLetters.count()) === 1,
        10_000,
        'the deep entry to be dead-lettered',
      );
      const [letter] = await deadLetters.list();
      expect(letter).toMatchObject({
        stream: 'deepdurable',
        group: 'deep-readers',
        eventId: undefined,
        type: undefined,
        error: expect.stringMatching(/nested more than 65 levels/),
      });
      expect(bus.getStats().eventsMalformed).toBe(before + 1);

      const shown = await promisify(execFile)(
        process.execPath,
        [DLQ_CLI, 'show', letter.stream, letter.id, '--json'],
        {
          env: { ...process.env, REDIS_URL: redis.url },
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      // Too deep to print as a value: shown as the raw text.
      expect((JSON.parse(shown.stdout) as { payload: unknown }).payload).toBe(
        letter.payload,
      );
      const marker = await bus.publish('deepdurable.sample', { n: 3 });
      expect(
        await received.until(e => e.id === marker.eventId, 10_000),
      ).toHaveLength(1);
    });
  });

  describe('the demo app on Redis', () => {
    let demo: DemoProcess;

    beforeAll(async () => {
      demo = await DemoProcess.start(await freePort(), {
        REDIS_URL: redis.url,
        LOG_LEVEL: 'warn',
      });
    });

    afterAll(async () => {
      expect(await demo?.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    });

    it('keeps answering GET /events 200 after a 200,000-level photo event published raw', async () => {
      const userId = 'deep-tester';
      const signIn = await demo.json<{ token: string }>('/auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId }),
      });
      const authorization = `Bearer ${signIn.body.token}`;
      const malformed = async () =>
        (await demo.json<{ eventsMalformed: number }>('/stats')).body
          .eventsMalformed;
      const before = await malformed();

      // The event concerns the signed-in user twice over (data.userId and metadata.userId), so the
      // demo would list it if it kept it.
      const deep = rawEnvelope('photo.uploaded', deepDataJson(DEEP, userId), {
        userId,
      });
      expect(
        await raw.publish(`${PREFIX}photo.uploaded`, deep),
      ).toBeGreaterThan(0);
      // Counted once per subscribed pattern it matches (the demo's photo.** and the gateway's **).
      await waitUntil(
        async () => (await malformed()) > before,
        10_000,
        'the demo to count the deep message as malformed',
      );

      // A sound event after it, from the same foreign client, still goes through (no handler but the activity log hears photo.probe).
      const sound = rawEnvelope(
        'photo.probe',
        JSON.stringify({ photoId: 'p-deep', userId }),
        { userId },
      );
      expect(await raw.publish(`${PREFIX}photo.probe`, sound)).toBeGreaterThan(
        0,
      );
      let events: EventEnvelope[] = [];
      await waitUntil(
        async () => {
          const response = await demo.json<EventEnvelope[]>('/events', {
            headers: { authorization },
          });
          expect(response.status).toBe(200);
          events = response.body;
          return events.length > 0;
        },
        10_000,
        'the sound event in GET /events',
      );
      expect(events.map(e => e.type)).toEqual(['photo.probe']);
      expect(demo.running).toBe(true);
      expect(demo.output.join('')).not.toMatch(/Maximum call stack/);
    });
  });
});
