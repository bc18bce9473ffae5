import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { EventBusService } from '@shared-infra/event-bus';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { ChildApp } from './utils/child-app.js';
import { waitUntil } from './utils/collector.js';

/** README, Durable delivery: a lost registry comes back "within 5 s". */
const RECOVERY_MS = 5000;
/** Process start-up, IPC and handler time on a loaded machine. */
const SLACK_MS = 2000;

function handledBy(worker: ChildApp): string[] {
  return worker.reports.items.filter(r => r.kind === 'handled').map(r => r.id!);
}

/**
 * Issue 15, item 4: a Redis restarted without persistence forgets the set of
 * streams that wildcard groups read. Publishers that already knew their streams
 * must announce them again, or a new `*.work` group never finds them.
 */
describe('wildcard durable groups after Redis restarted empty', () => {
  let redis: RedisServer;
  let publisherApp: INestApplicationContext;
  let publisher: EventBusService;
  const workers: ChildApp[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start(); // --save '' --appendonly no: a restart loses everything
    publisherApp = await startBusApp(redis.url, { serviceName: 'publisher' });
    publisher = publisherApp.get(EventBusService);
  });

  afterAll(async () => {
    await Promise.all(workers.map(w => w.stop()));
    await publisherApp.close();
    await redis.stop();
  });

  it('a *.work group registered after the restart handles every event published after it within 5 s', async () => {
    // Before the restart: a literal group makes the running publisher append to (and announce) stream "task".
    const before = await ChildApp.start('durable-worker.main', {
      REDIS_URL: redis.url,
      PATTERN: 'task.*',
      GROUP: 'before',
    });
    workers.push(before);
    // The publisher starts appending once it has heard the registration (control channel; at the
    // latest the 5 s reload): until the worker handles one, warm-up events may reach no stream.
    await waitUntil(
      async () => {
        await publisher.publish('task.work', { warmup: true });
        return handledBy(before).length > 0;
      },
      10_000,
      'a warm-up event in group "before"',
    );

    await redis.kill();
    await redis.start();
    await waitUntil(
      () => publisher.isConnected(),
      15_000,
      'the publisher to reconnect',
    );

    const wild = await ChildApp.start('durable-worker.main', {
      REDIS_URL: redis.url,
      PATTERN: '*.work',
      GROUP: 'wild',
    });
    workers.push(wild);
    // The pattern is announced on the control channel; give the publisher's event loop a moment to hear it.
    await new Promise(r => setTimeout(r, 500));

    const publishedAt = Date.now();
    const ids: string[] = [];
    for (let n = 0; n < 20; n++)
      ids.push((await publisher.publish('task.work', { n })).eventId);
    await waitUntil(
      () => new Set(handledBy(wild)).size >= ids.length,
      RECOVERY_MS + SLACK_MS,
      `the ${ids.length} events in group "wild" (handled: ${handledBy(wild).length})`,
    );
    expect(Date.now() - publishedAt).toBeLessThanOrEqual(
      RECOVERY_MS + SLACK_MS,
    );
    expect(new Set(handledBy(wild))).toEqual(new Set(ids));
  });
});
