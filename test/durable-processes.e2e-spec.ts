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
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { ChildApp } from './utils/child-app.js';
import { waitUntil } from './utils/collector.js';

/** Handled ids per worker, from their `handled` reports. */
function handledBy(workers: ChildApp[]): string[] {
  return workers.flatMap(w =>
    w.reports.items.filter(r => r.kind === 'handled').map(r => r.id!),
  );
}

describe('durable delivery across processes on real Redis', () => {
  let redis: RedisServer;
  let publisherApp: INestApplicationContext;
  let bus: EventBusService;
  let deadLetters: DeadLetterService;
  const workers: ChildApp[] = [];

  async function startWorker(env: Record<string, string>): Promise<ChildApp> {
    const worker = await ChildApp.start('durable-worker.main', {
      REDIS_URL: redis.url,
      ...env,
    });
    workers.push(worker);
    return worker;
  }

  async function publishJobs(
    count: number,
    type = 'job.run',
  ): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, count - i) }, (_, j) =>
          bus.publish(type, { n: i + j }),
        ),
      );
      ids.push(...batch.map(r => r.eventId));
    }
    return ids;
  }

  beforeAll(async () => {
    redis = await RedisServer.start({
      config: { appendonly: 'yes', appendfsync: 'always' },
    });
    publisherApp = await startBusApp(redis.url, { serviceName: 'publisher' });
    bus = publisherApp.get(EventBusService);
    deadLetters = publisherApp.get(DeadLetterService);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map(w => w.stop()));
  });

  afterAll(async () => {
    await publisherApp.close();
    await redis.stop();
  });

  it('3 consumers of one group share 1,000 events exactly once; a second group gets all 1,000', async () => {
    const group = workers.length;
    const a = await Promise.all(
      [1, 2, 3].map(() => startWorker({ GROUP: `share-${group}` })),
    );
    const b = await startWorker({ GROUP: `all-${group}` });
    const ids = await publishJobs(1000);
    await waitUntil(
      () => handledBy(a).length >= 1000 && handledBy([b]).length >= 1000,
      30_000,
      '1,000 events in each group',
    );
    // One more job after them: each group reads the stream in order, so a redelivery of one of the
    // 1,000 would have come before it.
    const [marker] = await publishJobs(1);
    await waitUntil(
      () => handledBy(a).includes(marker) && handledBy([b]).includes(marker),
      10_000,
      'the job after them in each group',
    );
    const without = (handled: string[]) => handled.filter(id => id !== marker);
    const shared = without(handledBy(a));
    expect(shared).toHaveLength(1000);
    expect(new Set(shared)).toEqual(new Set(ids));
    expect(new Set(without(handledBy([b])))).toEqual(new Set(ids));
    expect(without(handledBy([b]))).toHaveLength(1000);
    // The work was shared: every worker of the first group handled some.
    for (const worker of a)
      expect(
        worker.reports.items.filter(r => r.kind === 'handled').length,
      ).toBeGreaterThan(0);
  });

  it('a consumer killed with SIGKILL mid-batch loses nothing: survivors take over its pending events', async () => {
    const env = {
      GROUP: 'crash',
      WORK_MS: '30',
      CONCURRENCY: '10',
      CLAIM_IDLE_MS: '1000',
    };
    const [victim, ...survivors] = await Promise.all(
      [1, 2, 3].map(() => startWorker(env)),
    );
    const ids = await publishJobs(300);
    await waitUntil(
      () => victim.reports.items.filter(r => r.kind === 'started').length >= 20,
      10_000,
      'the victim to be busy',
    );
    victim.kill('SIGKILL');
    await victim.waitForExit();
    const started = new Set(
      victim.reports.items.filter(r => r.kind === 'started').map(r => r.id),
    );
    const finished = new Set(handledBy([victim]));
    const inFlight = [...started].filter(id => !finished.has(id!));
    expect(inFlight.length).toBeGreaterThan(0);

    await waitUntil(
      () => new Set([...handledBy(workers)]).size >= 300,
      30_000,
      'every event to be handled',
    );
    const all = handledBy(workers);
    expect(new Set(all)).toEqual(new Set(ids));
    // The victim's unfinished events were handled by survivors.
    const bySurvivors = new Set(handledBy(survivors));
    for (const id of inFlight) expect(bySurvivors.has(id!)).toBe(true);
    // Published = handled (+ 0 dead-lettered): nothing lost, duplicates only where the victim died after handling.
    expect(await deadLetters.count('job')).toBe(0);
    expect(all.length - 300).toBeLessThanOrEqual(10);
  });

  it('does not reclaim a handler that runs longer than the idle time', async () => {
    const worker = await startWorker({
      GROUP: 'slow',
      WORK_MS: '1500',
      CONCURRENCY: '1',
      CLAIM_IDLE_MS: '300',
    });
    const other = await startWorker({
      GROUP: 'slow',
      WORK_MS: '1500',
      CONCURRENCY: '1',
      CLAIM_IDLE_MS: '300',
    });
    const [id] = await publishJobs(1);
    await waitUntil(
      () => handledBy([worker, other]).length >= 1,
      10_000,
      'the slow event',
    );
    await new Promise(r => setTimeout(r, 1000));
    const starts = [worker, other].flatMap(w =>
      w.reports.items.filter(r => r.kind === 'started' && r.id === id),
    );
    expect(starts).toHaveLength(1);
    expect(handledBy([worker, other])).toEqual([id]);
  });

  it('an event that kills its consumer every time ends in the dead letters after maxDeliveries', async () => {
    const env = {
      GROUP: 'poison',
      POISON: '1',
      MAX_DELIVERIES: '3',
      CLAIM_IDLE_MS: '300',
    };
    await startWorker(env);
    const [poisonId] = await publishJobs(1, 'job.poison');
    const ok = await publishJobs(5);
    // Keep a worker alive, as an orchestrator would restart crashed ones.
    await waitUntil(
      async () => {
        if (workers.every(w => w.exited)) await startWorker(env);
        return (await deadLetters.count('job')) === 1;
      },
      30_000,
      'the poison event to be dead-lettered',
    );
    const [letter] = await deadLetters.list({ stream: 'job' });
    expect(letter.eventId).toBe(poisonId);
    expect(letter.group).toBe('poison');
    expect(letter.error).toMatch(/without an acknowledgement/);
    const poisoned = workers.flatMap(w =>
      w.reports.items.filter(r => r.kind === 'poisoned'),
    );
    expect(poisoned).toHaveLength(3);
    await waitUntil(
      () => new Set(handledBy(workers)).size === 5,
      10_000,
      'the healthy events',
    );
    // published (6) = handled (5) + dead-lettered (1)
    expect(new Set(handledBy(workers))).toEqual(new Set(ok));
    await deadLetters.purge('job');
  });

  it('keeps every acknowledged publish when Redis (appendonly, fsync always) is killed and restarted', async () => {
    const worker = await startWorker({ GROUP: 'aof', CLAIM_IDLE_MS: '1000' });
    // Let the group exist before publishing, then stop the worker so events wait in the stream.
    await worker.stop();
    const ids = await publishJobs(200);
    await redis.kill();
    await redis.start();
    await waitUntil(
      () => bus.isConnected(),
      15_000,
      'the publisher to reconnect',
    );
    const revived = await startWorker({ GROUP: 'aof', CLAIM_IDLE_MS: '1000' });
    await waitUntil(
      () => new Set(handledBy([revived])).size >= 200,
      30_000,
      'events that survived the restart',
    );
    expect(new Set(handledBy([revived]))).toEqual(new Set(ids));
  });
});
