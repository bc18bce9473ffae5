/**
 * Durable delivery beside raw Redis Streams, in one run: throughput (publish N
 * events as fast as a window of 1,000 allows, first publish to last handled) and
 * latency at a fixed 5,000 events/s (publish to handler, p50/p99). Sides alternate
 * within each repetition; medians over the repetitions.
 *
 * npm run bench:durable [-- --quick]
 */
import { Redis } from 'ioredis';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisServer } from '../../test/setup/redis-server.js';
import { BenchChild, killAllChildren } from '../lib/child.js';
import { machineInfo, median, round } from '../lib/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
// dist/bench/durable → the repository's bench/results.
const RESULTS = join(HERE, '..', '..', '..', 'bench', 'results');
type Side = 'ours' | 'baseline';
const SCRIPTS: Record<Side, { consumer: string; producer: string }> = {
  ours: { consumer: 'consumer-ours.js', producer: 'producer-ours.js' },
  baseline: { consumer: 'consumer-raw.js', producer: 'producer-raw.js' },
};

const quick = process.argv.includes('--quick');
const params = {
  reps: quick ? 3 : 5,
  throughputEvents: quick ? 10_000 : 50_000,
  warmupEvents: quick ? 1_000 : 5_000,
  window: 1000,
  latencyRate: 5000,
  latencySeconds: quick ? 2 : 5,
};

interface Run {
  side: Side;
  rep: number;
  eventsPerSecond?: number;
  /** CPU time per event of the measured phase, µs. */
  producerCpuUs?: number;
  consumerCpuUs?: number;
  p50?: number;
  p99?: number;
  consumerRssMb?: number;
}

async function runOnce(
  side: Side,
  redisUrl: string,
  redis: Redis,
  mode: 'throughput' | 'latency',
): Promise<Run & { rep: number }> {
  await redis.flushall();
  const env = { REDIS_URL: redisUrl };
  const children: BenchChild[] = [];
  try {
    const consumer = BenchChild.start(
      `${side} consumer`,
      join(HERE, SCRIPTS[side].consumer),
      env,
    );
    children.push(consumer);
    await consumer.waitFor('ready', 30_000);
    const producer = BenchChild.start(
      `${side} producer`,
      join(HERE, SCRIPTS[side].producer),
      env,
    );
    children.push(producer);
    await producer.waitFor('ready', 30_000);
    const phase = async (name: string, count: number, rate?: number) => {
      consumer.send({ kind: 'expect', phase: name, count });
      await consumer.waitFor('armed', 10_000);
      const done = consumer.waitFor('done', 60_000 + count);
      const published = producer.waitFor('published', 60_000 + count);
      producer.send({
        kind: 'publish',
        phase: name,
        count,
        window: params.window,
        rate,
        firstSeq: 0,
      });
      const [d, p] = await Promise.all([done, published]);
      return { d, p };
    };
    await phase('warmup', params.warmupEvents);
    if (mode === 'throughput') {
      const { d, p } = await phase('measure', params.throughputEvents);
      const elapsed = Number(d.tLast) - Number(p.t0);
      return {
        side,
        rep: 0,
        eventsPerSecond: (params.throughputEvents / elapsed) * 1000,
        producerCpuUs: Number(p.cpuUs) / params.throughputEvents,
        consumerCpuUs: Number(d.cpuUs) / params.throughputEvents,
        consumerRssMb: Number(d.rssMb),
      };
    }
    const { d } = await phase(
      'measure',
      params.latencyRate * params.latencySeconds,
      params.latencyRate,
    );
    return { side, rep: 0, p50: Number(d.p50), p99: Number(d.p99) };
  } finally {
    await Promise.all(children.map(child => child.stop()));
  }
}

async function main(): Promise<void> {
  const server = await RedisServer.start({ config: { appendonly: 'no' } });
  const redis = new Redis(server.url);
  const version = String(
    (await redis.info('server')).match(/redis_version:(\S+)/)?.[1],
  );
  const runs: Run[] = [];
  try {
    for (let rep = 1; rep <= params.reps; rep++) {
      const order: Side[] =
        rep % 2 ? ['ours', 'baseline'] : ['baseline', 'ours'];
      for (const mode of ['throughput', 'latency'] as const) {
        for (const side of order) {
          process.stdout.write(
            `[bench] durable ${mode} ${side} rep ${rep}/${params.reps}… `,
          );
          const run = {
            ...(await runOnce(side, server.url, redis, mode)),
            rep,
          };
          runs.push(run);
          process.stdout.write(
            mode === 'throughput'
              ? `${round(run.eventsPerSecond!)} events/s (CPU µs/event: producer ${round(run.producerCpuUs!, 1)}, consumer ${round(run.consumerCpuUs!, 1)})\n`
              : `p50 ${round(run.p50!, 2)} ms, p99 ${round(run.p99!, 2)} ms\n`,
          );
        }
      }
    }
  } finally {
    killAllChildren();
    redis.disconnect();
    await server.stop();
  }
  const pick = (side: Side, key: keyof Run) =>
    median(
      runs
        .filter(r => r.side === side && r[key] !== undefined)
        .map(r => Number(r[key])),
    );
  const summary = {
    throughput: {
      ours: pick('ours', 'eventsPerSecond'),
      baseline: pick('baseline', 'eventsPerSecond'),
    },
    p50: { ours: pick('ours', 'p50'), baseline: pick('baseline', 'p50') },
    p99: { ours: pick('ours', 'p99'), baseline: pick('baseline', 'p99') },
    consumerRssMb: {
      ours: pick('ours', 'consumerRssMb'),
      baseline: pick('baseline', 'consumerRssMb'),
    },
  };
  const ratio = {
    throughput: round(summary.throughput.ours / summary.throughput.baseline, 3),
    p99: round(summary.p99.ours / summary.p99.baseline, 3),
    p50: round(summary.p50.ours / summary.p50.baseline, 3),
  };
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, quick ? 'durable.quick.json' : 'durable.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        scenario: 'durable',
        mode: quick ? 'quick' : 'full',
        date: new Date().toISOString(),
        machine: machineInfo(version),
        params,
        runs,
        median: summary,
        ratio,
      },
      null,
      2,
    ),
  );
  console.log(
    '\nDurable delivery, medians of %d repetitions (1 KB events, concurrency 64):',
    params.reps,
  );
  console.table({
    'throughput (events/s)': {
      ours: round(summary.throughput.ours),
      baseline: round(summary.throughput.baseline),
      ratio: ratio.throughput,
    },
    [`p50 at ${params.latencyRate}/s (ms)`]: {
      ours: round(summary.p50.ours, 2),
      baseline: round(summary.p50.baseline, 2),
      ratio: ratio.p50,
    },
    [`p99 at ${params.latencyRate}/s (ms)`]: {
      ours: round(summary.p99.ours, 2),
      baseline: round(summary.p99.baseline, 2),
      ratio: ratio.p99,
    },
    'consumer RSS (MB)': {
      ours: round(summary.consumerRssMb.ours, 1),
      baseline: round(summary.consumerRssMb.baseline, 1),
      ratio: round(
        summary.consumerRssMb.ours / summary.consumerRssMb.baseline,
        2,
      ),
    },
  });
  console.log(
    `Wrote ${file}. Targets: throughput ratio >= 0.6, p99 ratio <= 2.`,
  );
}

main().catch(error => {
  killAllChildren();
  console.error(`bench failed: ${(error as Error).stack}`);
  process.exit(1);
});
