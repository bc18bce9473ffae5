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

/** The stream of `job.*` as the bus names it (prefix `eventbus:`). */
const JOB_STREAM = 'eventbus:{job}:stream';
/** durable.consumerIdleTimeoutMs of the workers (the fixture's blockMs is 500). */
const IDLE_BOUND_MS = 1000;

interface ConsumerInfo {
  name: string;
  pending: number;
  idle: number;
}

/**
 * Issue 15, item 8: consumers of dead processes stayed in their groups (6 listed
 * after 4 restarts). One idle past durable.consumerIdleTimeoutMs with nothing
 * pending is removed by the live ones; one with pending entries stays until they
 * are taken over.
 */
describe('dead consumers leave their durable groups', () => {
  let redis: RedisServer;
  let raw: Redis;
  let publisherApp: INestApplicationContext;
  let bus: EventBusService;
  let deadLetters: DeadLetterService;
  const workers: ChildApp[] = [];

  async function consumers(group: string): Promise<ConsumerInfo[]> {
    const reply = (await raw.call(
      'XINFO',
      'CONSUMERS',
      JOB_STREAM,
      group,
    )) as Array<Array<string | number>>;
    return reply.map(fields => {
      const info = new Map<string, string | number>();
      for (let i = 0; i + 1 < fields.length; i += 2)
        info.set(String(fields[i]), fields[i + 1]);
      return {
        name: String(info.get('name')),
        pending: Number(info.get('pending')),
        idle: Number(info.get('idle')),
      };
    });
  }

  /** Consumer names of the bus run by `worker` (they carry its pid). */
  const pidOf = (name: string): number =>
    Number(/:(\d+):[0-9a-f]+$/.exec(name)?.[1]);

  function handled(): Set<string> {
    return new Set(
      workers.flatMap(w =>
        w.reports.items.filter(r => r.kind === 'handled').map(r => r.id!),
      ),
    );
  }

  async function startWorker(
    env: Record<string, string> = {},
  ): Promise<ChildApp> {
    const worker = await ChildApp.start('durable-worker.main', {
      REDIS_URL: redis.url,
      GROUP: 'churn',
      CONSUMER_IDLE_TIMEOUT_MS: String(IDLE_BOUND_MS),
      CLAIM_IDLE_MS: '500',
      ...env,
    });
    workers.push(worker);
    return worker;
  }

  async function publish(count: number): Promise<string[]> {
    return Promise.all(
      Array.from({ length: count }, (_, n) =>
        bus.publish('job.run', { n }).then(r => r.eventId),
      ),
    );
  }

  /**
   * A running publisher appends for a new group once it has heard the group's
   * registration (README "New groups"): publish until the group handled one.
   */
  async function untilGroupHeard(): Promise<void> {
    const seen = handled().size;
    await waitUntil(
      async () => {
        await publish(1);
        return handled().size > seen;
      },
      10_000,
      'the publisher to hear the new group',
    );
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    raw = new Redis(redis.url);
    publisherApp = await startBusApp(redis.url, { serviceName: 'publisher' });
    bus = publisherApp.get(EventBusService);
    deadLetters = publisherApp.get(DeadLetterService);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map(w => w.stop()));
  });

  afterAll(async () => {
    raw.disconnect();
    await publisherApp.close();
    await redis.stop();
  });

  it('after 4 restarts (2 stops, 2 crashes, one holding entries) the group lists only the live consumers, and loses nothing', async () => {
    const ids: string[] = [];
    // Two graceful stops and an idle crash: consumers with nothing pending.
    for (const end of ['stop', 'stop', 'crash'] as const) {
      const worker = await startWorker();
      if (end === 'stop' && ids.length === 0) await untilGroupHeard();
      const batch = await publish(5);
      ids.push(...batch);
      await waitUntil(
        () => batch.every(id => handled().has(id)),
        10_000,
        'the batch',
      );
      if (end === 'stop') await worker.stop();
      else {
        worker.kill('SIGKILL');
        await worker.waitForExit();
      }
    }
    // A crash mid-work: its consumer holds pending entries, which must not be dropped with it.
    const busy = await startWorker({ WORK_MS: '60000', CONCURRENCY: '3' });
    ids.push(...(await publish(3)));
    await waitUntil(
      () => busy.reports.items.filter(r => r.kind === 'started').length === 3,
      10_000,
      'the busy worker to start 3 events',
    );
    busy.kill('SIGKILL');
    await busy.waitForExit();
    expect(
      (await consumers('churn')).find(c => pidOf(c.name) === busy.pid)?.pending,
    ).toBe(3);

    // Nobody is left to clean up: the 4 dead consumers are all listed.
    expect((await consumers('churn')).map(c => pidOf(c.name)).sort()).toEqual(
      workers.map(w => w.pid).sort(),
    );

    const live = [await startWorker(), await startWorker()];
    const livePids = new Set(live.map(w => w.pid));
    const listedPids = async () =>
      new Set((await consumers('churn')).map(c => pidOf(c.name)));
    await waitUntil(
      async () => [...(await listedPids())].every(pid => livePids.has(pid)),
      8000,
      'the dead consumers to be removed',
    );
    expect(ids.every(id => handled().has(id))).toBe(true);

    // Quiet for several bounds: the dead stay gone; on Redis 7.2+, whose `idle` counts every read
    // attempt, live consumers stay listed (before 7.2 `idle` counts only reads that got entries, so
    // a quiet live consumer is removed too, and Redis adds it back with its next entry).
    const before = await listedPids();
    await new Promise(r => setTimeout(r, 3 * IDLE_BOUND_MS));
    const [major, minor] = String(await raw.info('server'))
      .match(/redis_version:(\d+)\.(\d+)/)!
      .slice(1)
      .map(Number);
    if (major > 7 || (major === 7 && minor >= 2))
      expect(await listedPids()).toEqual(before);
    const after = await publish(20);
    await waitUntil(
      () => after.every(id => handled().has(id)),
      10_000,
      'events published after the clean-up',
    );
    const listed = await listedPids();
    expect(listed.size).toBeGreaterThan(0);
    for (const pid of listed) expect(livePids.has(pid)).toBe(true);
    expect(await deadLetters.count('job')).toBe(0);
  });
});
