import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { DeadLetterService, EventBusService } from '@shared-infra/event-bus';
import { Redis } from 'ioredis';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { ChildApp } from './utils/child-app.js';
import { waitUntil } from './utils/collector.js';

const STREAM_KEY = 'eventbus:{job}:stream';

function reported(
  worker: ChildApp,
  kind: 'started' | 'handled',
  id: string,
): boolean {
  return worker.reports.items.some(r => r.kind === kind && r.id === id);
}

/**
 * SIGTERM during a slow durable handler (EventBusService.onApplicationShutdown →
 * DurableManager.stop → DurableConsumer.stop): the event is either finished and
 * acknowledged, or left pending and handled by another consumer of the group.
 */
describe('SIGTERM during a slow durable handler loses nothing', () => {
  let redis: RedisServer;
  let admin: Redis;
  let publisherApp: INestApplicationContext;
  let bus: EventBusService;
  let deadLetters: DeadLetterService;
  const workers: ChildApp[] = [];

  /** Two consumers of one group; resolves once the publisher follows their pattern. */
  async function startPair(
    env: Record<string, string>,
  ): Promise<[ChildApp, ChildApp]> {
    const pair = await Promise.all(
      [1, 2].map(() =>
        ChildApp.start('durable-worker.main', { REDIS_URL: redis.url, ...env }),
      ),
    );
    workers.push(...pair);
    // The publisher learns the new durable pattern from a control message; give it a moment.
    await new Promise(r => setTimeout(r, 300));
    return pair as [ChildApp, ChildApp];
  }

  /** Publishes one job and SIGTERMs whichever worker starts it. */
  async function terminateTheWorkerOf(
    pair: [ChildApp, ChildApp],
  ): Promise<{ id: string; victim: ChildApp; other: ChildApp }> {
    const { eventId: id } = await bus.publish('job.run', { n: 1 });
    await waitUntil(
      () => pair.some(w => reported(w, 'started', id)),
      10_000,
      'a worker to start the job',
    );
    const victim = pair.find(w => reported(w, 'started', id))!;
    victim.kill('SIGTERM');
    return { id, victim, other: pair.find(w => w !== victim)! };
  }

  async function pending(group: string): Promise<number> {
    const [count] = (await admin.xpending(STREAM_KEY, group)) as [number];
    return Number(count);
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
    publisherApp = await startBusApp(redis.url, { serviceName: 'publisher' });
    bus = publisherApp.get(EventBusService);
    deadLetters = publisherApp.get(DeadLetterService);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map(w => w.stop()));
  });

  afterAll(async () => {
    await publisherApp.close();
    admin.disconnect();
    await redis.stop();
  });

  it('within shutdownTimeout the handler finishes and is acknowledged before exit; nobody else runs it, and new events go to the other consumer', async () => {
    const pair = await startPair({
      GROUP: 'term-finish',
      WORK_MS: '1500',
      CONCURRENCY: '1',
      CLAIM_IDLE_MS: '300',
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    const { id, victim, other } = await terminateTheWorkerOf(pair);
    // Published while the victim drains: it no longer reads, so the other consumer gets it.
    const { eventId: later } = await bus.publish('job.run', { n: 2 });
    await victim.waitForExit();
    expect(victim.exitSignal).toBe('SIGTERM');
    expect(reported(victim, 'handled', id)).toBe(true);
    await waitUntil(
      () => reported(other, 'handled', later),
      10_000,
      'the later job on the other consumer',
    );
    // Several claim intervals past the idle time: the finished entry was acknowledged, so nobody takes it over.
    await new Promise(r => setTimeout(r, 1000));
    expect(reported(other, 'started', id)).toBe(false);
    expect(reported(victim, 'started', later)).toBe(false);
    expect(await pending('term-finish')).toBe(0);
    expect(await deadLetters.count('job')).toBe(0);
  });

  it('past shutdownTimeout the process exits without acknowledging; the entry stays pending and another consumer handles it', async () => {
    const pair = await startPair({
      GROUP: 'term-abandon',
      WORK_MS: '2500',
      CONCURRENCY: '1',
      CLAIM_IDLE_MS: '500',
      SHUTDOWN_TIMEOUT_MS: '200',
    });
    const { id, victim, other } = await terminateTheWorkerOf(pair);
    await victim.waitForExit();
    expect(victim.exitSignal).toBe('SIGTERM');
    expect(reported(victim, 'handled', id)).toBe(false);
    expect(await pending('term-abandon')).toBe(1);
    await waitUntil(
      () => reported(other, 'handled', id),
      15_000,
      'the other consumer to take the job over and finish it',
    );
    await waitUntil(
      async () => (await pending('term-abandon')) === 0,
      5000,
      'the acknowledgement',
    );
    expect(await deadLetters.count('job')).toBe(0);
  });
});
