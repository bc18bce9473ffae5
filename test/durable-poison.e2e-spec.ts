import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
  jest,
} from '@jest/globals';
import { Logger, type INestApplicationContext } from '@nestjs/common';
import {
  DeadLetterService,
  EventBusService,
  type DeadLetter,
} from '@shared-infra/event-bus';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { Collector, waitUntil } from './utils/collector.js';

/** The stream of every `poison.*` type, as the bus' store names it (prefix `eventbus:`). */
const STREAM_KEY = 'eventbus:{poison}:stream';

/** A sound envelope as a foreign client would write it; `override` changes any field. */
function envelope(
  type: string,
  data: unknown,
  override: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    id: `raw-${Math.random().toString(36).slice(2)}`,
    type,
    data,
    metadata: {
      source: 'intruder',
      timestamp: new Date().toISOString(),
      traceId: 'trace-raw',
    },
    version: 1,
    ...override,
  });
}

/** `depth` objects inside one another. */
function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

/**
 * Issue 15, item 5: every entry a durable group cannot decode ends in its dead
 * letters with the reason, counted and logged (rate-limited); entries of other
 * types on the same stream are counted as skipped.
 */
describe('poison entries in durable streams', () => {
  let redis: RedisServer;
  let raw: Redis;
  let app: INestApplicationContext;
  let bus: EventBusService;
  let deadLetters: DeadLetterService;
  const registry = new Registry();
  const handled = new Collector<string>();
  const warnings: string[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    raw = new Redis(redis.url);
    app = await startBusApp(redis.url, {
      serviceName: 'poison',
      logLevel: 'warn',
      limits: { maxEventBytes: 4096, maxDataBytes: 2048, maxDepth: 8 },
      metrics: { enabled: true, registry },
    });
    bus = app.get(EventBusService);
    deadLetters = app.get(DeadLetterService);
    await bus.subscribe('poison.eat', event => void handled.push(event.id), {
      durable: true,
      group: 'eater',
      name: 'Eater.eat',
    });
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  afterAll(async () => {
    raw.disconnect();
    await app.close();
    await redis.stop();
  });

  it('dead-letters entries without "e", not JSON, of another version, over maxEventBytes or deeper than maxDepth, with the reason', async () => {
    jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation(
        (message: unknown) => void warnings.push(String(message)),
      );
    const poison: Array<[kind: string, fields: string[], reason: RegExp]> = [
      ['no e', ['x', '1', 'y', 'two'], /no "e" field.*"x":"1"/],
      ['not JSON', ['e', 'not json {'], /invalid JSON/],
      [
        'wrong version',
        ['e', envelope('poison.eat', {}, { version: 2 })],
        /field "version" is 2/,
      ],
      [
        'oversize',
        ['e', envelope('poison.eat', 'x'.repeat(5000))],
        /over maxEventBytes \(4096\)/,
      ],
      [
        'too deep',
        ['e', envelope('poison.eat', nested(20))],
        /deeper than|maxDepth/,
      ],
    ];
    const entryIds: string[] = [];
    for (const [, fields] of poison)
      entryIds.push(
        (await raw.call('XADD', STREAM_KEY, '*', ...fields)) as string,
      );
    const good = envelope('poison.eat', { ok: true });
    await raw.call('XADD', STREAM_KEY, '*', 'e', good);
    await raw.call('XADD', STREAM_KEY, '*', 'e', envelope('poison.other', {}));

    await handled.waitFor(1);
    await waitUntil(
      async () => (await deadLetters.count('poison')) === poison.length,
      5000,
      'a dead letter per poison entry',
    );
    await waitUntil(
      () => bus.getStats().eventsSkipped === 1,
      5000,
      'the poison.other entry to be skipped',
    );
    const letters = await deadLetters.list({ stream: 'poison' });
    poison.forEach(([kind, fields, reason], i) => {
      const letter = letters.find(l => l.entryId === entryIds[i]) as DeadLetter;
      expect({ kind, error: letter?.error }).toEqual({
        kind,
        error: expect.stringMatching(reason),
      });
      expect(letter.group).toBe('eater');
      expect(letter.handler).toBe('Eater.eat');
      expect(letter.payload).toBe(fields[0] === 'e' ? fields[1] : '');
    });
    expect(handled.items).toHaveLength(1);
    const stats = bus.getStats();
    expect(stats.eventsDeadLettered).toBe(poison.length);
    expect(stats.eventsMalformed).toBe(poison.length);
    expect(stats.eventsSkipped).toBe(1);
    expect(
      await registry.getSingleMetricAsString('eventbus_events_skipped_total'),
    ).toMatch(/^eventbus_events_skipped_total 1$/m);
    expect(
      await registry.getSingleMetricAsString(
        'eventbus_events_dead_lettered_total',
      ),
    ).toMatch(/^eventbus_events_dead_lettered_total\{type="_unknown"\} 5$/m);
    // Nothing left pending: each entry was acknowledged with its dead letter (or its skip).
    expect(await bus.getDurableLag()).toEqual([
      expect.objectContaining({ stream: 'poison', group: 'eater', pending: 0 }),
    ]);
    for (const [, , reason] of poison)
      expect(
        warnings.some(w => reason.test(w) && w.includes('stream "poison"')),
      ).toBe(true);
  });

  it('logs a flood of poison entries 10 lines per 10 s, and still dead-letters every one', async () => {
    jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation(
        (message: unknown) => void warnings.push(String(message)),
      );
    warnings.length = 0;
    const before = await deadLetters.count('poison');
    for (let i = 0; i < 30; i++)
      await raw.call('XADD', STREAM_KEY, '*', 'e', `garbage ${i}`);
    await waitUntil(
      async () => (await deadLetters.count('poison')) === before + 30,
      5000,
      '30 more dead letters',
    );
    const lines = warnings.filter(w => w.includes('malformed'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(10);
  });
});
