import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import {
  DeadLetterService,
  EventBusService,
  type DeadLetter,
} from '@shared-infra/event-bus';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { promisify } from 'node:util';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { Collector, waitUntil } from './utils/collector.js';

const CLI = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'libs',
  'event-bus',
  'dist',
  'cli',
  'dlq.js',
);
/** The stream of `refund.*` as the bus names it (prefix `eventbus:`), for entries written raw. */
const REFUND_STREAM = 'eventbus:{refund}:stream';

/** A sound `refund.requested` envelope as a foreign client would write it; `override` changes any field. */
function envelope(
  data: unknown,
  override: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    id: `raw-${Math.random().toString(36).slice(2)}`,
    type: 'refund.requested',
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

/** `depth` arrays inside one another (2 bytes a level, to stay under maxEventBytes). */
function nested(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

describe('dlq command line', () => {
  let redis: RedisServer;
  let app: INestApplicationContext;
  let bus: EventBusService;
  let deadLetters: DeadLetterService;
  let broken = true;
  const handled = new Collector<string>();

  async function dlq(
    ...args: string[]
  ): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [CLI, ...args],
        { env: { ...process.env, REDIS_URL: redis.url } },
      );
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const e = error as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    // Small limits, so that an oversize entry stays small enough to print.
    app = await startBusApp(redis.url, {
      serviceName: 'cli',
      limits: { maxEventBytes: 4096, maxDataBytes: 2048 },
    });
    bus = app.get(EventBusService);
    deadLetters = app.get(DeadLetterService);
    await bus.subscribe(
      'refund.*',
      event => {
        if (broken) throw new Error('ledger locked');
        handled.push(event.id);
      },
      {
        durable: true,
        group: 'refunds',
        retry: { maxRetries: 0 },
        name: 'Refunds.apply',
      },
    );
  });

  afterAll(async () => {
    await app.close();
    await redis.stop();
  });

  it('lists, counts, shows, replays and purges dead letters', async () => {
    const first = await bus.publish('refund.requested', { amount: 1 });
    await bus.publish('refund.requested', { amount: 2 });
    await waitUntil(
      async () => (await deadLetters.count()) === 2,
      5000,
      'two dead letters',
    );

    const list = await dlq('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/STREAM\s+ID\s+TYPE\s+GROUP/);
    expect(list.stdout).toMatch(
      /refund\s+\S+\s+refund\.requested\s+refunds\s+Refunds\.apply\s+1\s+\S+\s+ledger locked/,
    );

    expect(JSON.parse((await dlq('count', '--json')).stdout)).toEqual({
      count: 2,
    });
    const letters = JSON.parse(
      (await dlq('list', '--json')).stdout,
    ) as DeadLetter[];
    const target = letters.find(l => l.eventId === first.eventId)!;

    const shown = JSON.parse(
      (await dlq('show', 'refund', target.id)).stdout,
    ) as { payload: { data: unknown }; stack: string };
    expect(shown.payload.data).toEqual({ amount: 1 });
    expect(shown.stack).toContain('ledger locked');

    broken = false;
    const replay = await dlq('replay', 'refund', target.id);
    expect(replay.stdout).toContain('Replayed 1 dead letter(s)');
    expect(await handled.waitFor(1)).toEqual([first.eventId]);
    expect(await deadLetters.count()).toBe(1);

    expect((await dlq('purge')).code).toBe(2);
    expect((await dlq('purge', '--yes')).stdout).toContain(
      'Deleted 1 dead letter(s)',
    );
    expect(await deadLetters.count()).toBe(0);
    expect((await dlq('replay', 'refund', target.id)).code).toBe(1);
  });

  it('lists, counts, shows, replays and purges dead letters of every kind (malformed ones raw; replay refuses what no bus reads)', async () => {
    broken = true;
    handled.clear();
    const raw = new Redis(redis.url);
    const malformed: Array<[kind: string, fields: string[], reason: RegExp]> = [
      ['no e', ['x', '1'], /no "e" field/],
      ['not JSON', ['e', 'not json {'], /invalid JSON/],
      [
        'wrong version',
        ['e', envelope({ amount: 3 }, { version: 2 })],
        /field "version" is 2/,
      ],
      // Deeper than any bus reads (limits.maxDepth is at most 1,000) and than dlq prints as JSON, yet within maxEventBytes.
      ['too deep', ['e', envelope(nested(1100))], /deeper than|maxDepth/],
    ];
    try {
      for (const [, fields] of malformed)
        await raw.call('XADD', REFUND_STREAM, '*', ...fields);
      await raw.call(
        'XADD',
        REFUND_STREAM,
        '*',
        'e',
        envelope('x'.repeat(5000)),
      );
    } finally {
      raw.disconnect();
    }
    const failed = await bus.publish('refund.requested', { amount: 4 });
    const total = malformed.length + 2;
    await waitUntil(
      async () => (await deadLetters.count()) === total,
      5000,
      `${total} dead letters`,
    );

    const list = await dlq('list');
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n')).toHaveLength(total + 1);
    // TYPE is "?" where the payload cannot be read for one (no "e", not JSON, too deep).
    expect(
      list.stdout.match(
        /^refund\s+\S+\s+\S+\s+refunds\s+Refunds\.apply\s+0\s+\S+\s+malformed entry: /gm,
      ),
    ).toHaveLength(total - 1);
    expect(list.stdout.match(/^refund\s+\S+\s+\?\s+refunds\s/gm)).toHaveLength(
      3,
    );
    expect(
      JSON.parse((await dlq('count', '--stream', 'refund', '--json')).stdout),
    ).toEqual({ count: total });
    const letters = JSON.parse(
      (await dlq('list', '--json')).stdout,
    ) as DeadLetter[];
    expect(letters).toHaveLength(total);

    // show: every kind prints, with its reason; a payload that is not JSON (or empty) as the raw text.
    for (const letter of letters) {
      const shown = await dlq('show', 'refund', letter.id);
      expect({ id: letter.id, code: shown.code, stderr: shown.stderr }).toEqual(
        { id: letter.id, code: 0, stderr: '' },
      );
      const printed = JSON.parse(shown.stdout) as {
        payload: unknown;
        error: string;
      };
      expect(printed.error).toBe(letter.error);
      const asJson = JSON.parse(
        (await dlq('show', 'refund', letter.id, '--json')).stdout,
      ) as DeadLetter;
      expect(asJson.payload).toBe(letter.payload);
    }
    const byReason = (reason: RegExp) =>
      letters.find(l => reason.test(l.error))!;
    expect(
      JSON.parse(
        (await dlq('show', 'refund', byReason(/no "e" field/).id)).stdout,
      ).payload,
    ).toBe('');
    expect(
      JSON.parse(
        (await dlq('show', 'refund', byReason(/invalid JSON/).id)).stdout,
      ).payload,
    ).toBe('not json {');
    expect(
      JSON.parse(
        (await dlq('show', 'refund', byReason(/"version" is 2/).id)).stdout,
      ).payload,
    ).toMatchObject({ version: 2, data: { amount: 3 } });
    expect(
      JSON.parse(
        (await dlq('show', 'refund', byReason(/deeper than|maxDepth/).id))
          .stdout,
      ).payload,
    ).toBe(byReason(/deeper than|maxDepth/).payload);

    // replay: refused, with the reason and the way out, for what no bus reads; the dead letter stays.
    for (const [kind, , reason] of malformed) {
      const letter = byReason(reason);
      const replay = await dlq('replay', 'refund', letter.id);
      expect({ kind, code: replay.code }).toEqual({ kind, code: 1 });
      expect(replay.stderr).toContain(
        `Dead letter ${letter.id} of stream "refund" holds no event this bus can read`,
      );
      expect(replay.stderr).toMatch(reason);
      expect(replay.stderr).toContain(`dlq purge refund ${letter.id} --yes`);
      expect(replay.stdout).toContain('Replayed 0 dead letter(s)');
    }
    expect(await deadLetters.count()).toBe(total);
    // From code, the same refusal as an error with a code.
    await expect(
      deadLetters.replay('refund', byReason(/invalid JSON/).id),
    ).rejects.toMatchObject({ code: 'DEAD_LETTER_NOT_REPLAYABLE' });

    // An envelope over the bus' own limits (which the command line does not know) goes back and is dead-lettered again.
    const oversize = byReason(/over maxEventBytes/);
    expect((await dlq('replay', 'refund', oversize.id)).code).toBe(0);
    await waitUntil(
      async () => {
        const now = await deadLetters.list({ stream: 'refund' });
        return (
          now.length === total &&
          now.some(
            l => l.id !== oversize.id && /over maxEventBytes/.test(l.error),
          )
        );
      },
      5000,
      'the oversize entry to be dead-lettered again',
    );

    // replay --all: the sound ones go back, the others are refused one by one (exit code 1: not all replayed).
    broken = false;
    const all = await dlq('replay', '--all', '--stream', 'refund');
    expect(all.code).toBe(1);
    expect(all.stdout).toContain('Replayed 2 dead letter(s)');
    expect(all.stderr.match(/holds no event this bus can read/g)).toHaveLength(
      malformed.length,
    );
    expect(await handled.waitFor(1)).toEqual([failed.eventId]);
    await waitUntil(
      async () => (await deadLetters.count()) === malformed.length + 1,
      5000,
      'the oversize entry back once more',
    );

    // purge one, then the rest.
    const one = byReason(/invalid JSON/);
    expect((await dlq('purge', 'refund', one.id)).code).toBe(2);
    expect((await dlq('purge', 'refund', one.id, '--yes')).stdout).toContain(
      'Deleted 1 dead letter(s)',
    );
    expect(await deadLetters.get('refund', one.id)).toBeUndefined();
    const again = await dlq('purge', 'refund', one.id, '--yes');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `No dead letter ${one.id} in stream "refund"`,
    );
    expect((await dlq('purge', 'refund', 'not-an-id', '--yes')).code).toBe(1);
    expect(
      (await dlq('purge', '--stream', 'refund', '--yes')).stdout,
    ).toContain(`Deleted ${malformed.length} dead letter(s)`);
    expect(JSON.parse((await dlq('count', '--json')).stdout)).toEqual({
      count: 0,
    });
  });

  it('says what to do when Redis is unreachable or the command is wrong', async () => {
    const unreachable = await dlq('list', '--url', 'redis://127.0.0.1:1');
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(
      /Cannot reach Redis .* Set REDIS_URL or pass --url/,
    );
    const wrong = await dlq('frobnicate');
    expect(wrong.stderr).toMatch(/Unknown command "frobnicate"/);
  });
});
