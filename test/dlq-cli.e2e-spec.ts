import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { EventBusService, type DeadLetter } from '@shared-infra/event-bus';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { Collector, waitUntil } from './utils/collector.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'libs', 'event-bus', 'dist', 'cli', 'dlq.js');

describe('dlq command line', () => {
  let redis: RedisServer;
  let app: INestApplicationContext;
  let bus: EventBusService;
  let broken = true;
  const handled = new Collector<string>();

  async function dlq(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...process.env, REDIS_URL: redis.url } });
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const e = error as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    app = await startBusApp(redis.url, { serviceName: 'cli' });
    bus = app.get(EventBusService);
    await bus.subscribe(
      'refund.*',
      event => {
        if (broken) throw new Error('ledger locked');
        handled.push(event.id);
      },
      { durable: true, group: 'refunds', retry: { maxRetries: 0 }, name: 'Refunds.apply' },
    );
  });

  afterAll(async () => {
    await app.close();
    await redis.stop();
  });

  it('lists, counts, shows, replays and purges dead letters', async () => {
    const first = await bus.publish('refund.requested', { amount: 1 });
    await bus.publish('refund.requested', { amount: 2 });
    await waitUntil(async () => (await bus.countDeadLetters()) === 2, 5000, 'two dead letters');

    const list = await dlq('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/STREAM\s+ID\s+TYPE\s+GROUP/);
    expect(list.stdout).toMatch(/refund\s+\S+\s+refund\.requested\s+refunds\s+Refunds\.apply\s+1\s+\S+\s+ledger locked/);

    expect(JSON.parse((await dlq('count', '--json')).stdout)).toEqual({ count: 2 });
    const letters = JSON.parse((await dlq('list', '--json')).stdout) as DeadLetter[];
    const target = letters.find(l => l.eventId === first.eventId)!;

    const shown = JSON.parse((await dlq('show', 'refund', target.id)).stdout) as { payload: { data: unknown }; stack: string };
    expect(shown.payload.data).toEqual({ amount: 1 });
    expect(shown.stack).toContain('ledger locked');

    broken = false;
    const replay = await dlq('replay', 'refund', target.id);
    expect(replay.stdout).toContain('Replayed 1 dead letter(s)');
    expect(await handled.waitFor(1)).toEqual([first.eventId]);
    expect(await bus.countDeadLetters()).toBe(1);

    expect((await dlq('purge')).code).toBe(2);
    expect((await dlq('purge', '--yes')).stdout).toContain('Deleted 1 dead letter(s)');
    expect(await bus.countDeadLetters()).toBe(0);
    expect((await dlq('replay', 'refund', target.id)).code).toBe(1);
  });

  it('says what to do when Redis is unreachable or the command is wrong', async () => {
    const unreachable = await dlq('list', '--url', 'redis://127.0.0.1:1');
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/Cannot reach Redis .* Set REDIS_URL or pass --url/);
    const wrong = await dlq('frobnicate');
    expect(wrong.stderr).toMatch(/Unknown command "frobnicate"/);
  });
});
