/**
 * Durable delivery beside raw Redis Streams (issue 17): `npm run bench:durable`.
 *
 * One producer process and one consumer process on one stream and consumer
 * group, 1 KB JSON data (the latency bench's payload, stamped at its creation).
 * Two modes per repetition, each side in fresh processes after a FLUSHALL:
 * - throughput: N events published as fast as 1,000 in flight allow; first
 *   publish to last handler call;
 * - latency: a fixed 5,000 events/s for 10 s after 1 s of warm-up (the
 *   latency bench's fixed-rate publisher); creation of the data to the handler
 *   call, p50/p99/max.
 * Sides: the bus (`publish` → `@OnEvent(…, { durable: true })`, concurrency and
 * batchSize 100) and raw ioredis (auto-pipelined XADD MAXLEN ~ → XREADGROUP
 * COUNT 100 BLOCK 1000, JSON.parse, one XACK per batch not waited for). The
 * order of the sides alternates every repetition. Writes
 * bench/results/durable.json (--quick: durable.quick.json; any other flag but
 * --reps: durable.custom.tmp.json).
 *
 * Flags: --quick, --reps=N (5; quick 3), --events=N (throughput, 50,000; quick
 * 10,000), --rate=N (5000), --seconds=N (10; quick 3), --warmup-seconds=N (1),
 * --window=N (1000), --only=ours,baseline, --modes=throughput,latency,
 * --child-node-arg=FLAG (repeatable, e.g. --child-node-arg=--cpu-prof).
 */
import type { Redis } from 'ioredis';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild, runPhase } from '../lib/child.js';
import { flag, intFlag } from '../lib/flags.js';
import { type BenchMessage } from '../lib/ipc.js';
import { benchLifecycle, redisCpuUs } from '../lib/redis-admin.js';
import { fmt, median, rotatedOrder, round, table } from '../lib/stats.js';
import { PAYLOAD_BYTES } from '../fanout/payload.js';
import { BATCH, BLOCK_MS, DURABLE_TYPE, GROUP, STREAM_KEY } from './common.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..', '..');
const RESULTS = join(ROOT, 'bench', 'results');
const SCENARIO = 'durable';

/** Issue 17's targets and its reference figures (same machine, its own measurement). */
const TARGET = { throughputRatio: 0.8, p99Ms: 1.5 };
const ISSUE = {
  rawEventsPerSecond: 55_200,
  oursEventsPerSecond: 32_000,
  rawP99Ms: 0.49,
  oursP99Ms: 6.8,
};

type Side = 'ours' | 'baseline';
type Mode = 'throughput' | 'latency';
const SIDES: Side[] = ['ours', 'baseline'];
const MODES: Mode[] = ['throughput', 'latency'];
const LABEL: Record<Side, string> = {
  ours: 'ours (event bus, durable)',
  baseline: 'baseline (raw Streams)',
};
const SCRIPTS: Record<Side, { consumer: string; producer: string }> = {
  ours: { consumer: 'consumer-ours.js', producer: 'producer-ours.js' },
  baseline: { consumer: 'consumer-raw.js', producer: 'producer-raw.js' },
};

const log = (line: string): void => console.log(`[bench] ${line}`);

function readParams() {
  const quick = process.argv.includes('--quick');
  const list = <T extends string>(name: string, all: T[]): T[] => {
    const picked = flag(name)?.split(',');
    for (const item of picked ?? [])
      if (!all.includes(item as T))
        throw new Error(`--${name}=${item}: expected ${all.join(', ')}`);
    return all.filter(item => !picked || picked.includes(item));
  };
  const childNodeArgs = process.argv
    .filter(arg => arg.startsWith('--child-node-arg='))
    .map(arg => arg.slice('--child-node-arg='.length));
  return {
    mode: quick ? 'quick' : 'full',
    reps: Math.max(1, intFlag('reps', quick ? 3 : 5)),
    events: Math.max(1, intFlag('events', quick ? 10_000 : 50_000)),
    warmupEvents: quick ? 2_000 : 5_000,
    rate: Math.max(1, intFlag('rate', 5000)),
    seconds: Math.max(1, intFlag('seconds', quick ? 3 : 10)),
    warmupSeconds: intFlag('warmup-seconds', 1),
    window: Math.max(1, intFlag('window', 1000)),
    sides: list('only', SIDES),
    modes: list('modes', MODES),
    childNodeArgs,
    custom: process.argv
      .slice(2)
      .some(arg => arg !== '--quick' && !arg.startsWith('--reps=')),
  };
}
type Params = ReturnType<typeof readParams>;

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

interface Memory {
  rssEndMb: number;
  maxRssMb: number;
  heapUsedMb: number;
}

interface DurableRun {
  side: Side;
  mode: Mode;
  rep: number;
  order: number;
  events: number;
  /** Events handled per second: count / (first publish to last handler call). */
  eventsPerSecond: number;
  /** Handler call minus creation of the data, ms (in throughput mode: under saturation). */
  latencyMs: Percentiles;
  /** Latency mode: how late the producer created events against the fixed schedule, ms. */
  scheduleLagMs?: Percentiles;
  cpuUsPerEvent: { producer: number; consumer: number; redis: number };
  /** Redis commands per event of the measured phase, by command (INFO commandstats). */
  redisCallsPerEvent: Record<string, number>;
  producer: Memory;
  consumer: Memory & { rssIdleMb: number };
}

const pct = (message: BenchMessage): Percentiles => ({
  p50: Number(message.p50),
  p99: Number(message.p99),
  max: Number(message.max),
  mean: Number(message.mean),
});

const mem = (message: BenchMessage): Memory => ({
  rssEndMb: Number(message.rssMb),
  maxRssMb: Number(message.maxRssMb),
  heapUsedMb: Number(message.heapUsedMb),
});

async function runSide(
  side: Side,
  mode: Mode,
  rep: number,
  order: number,
  params: Params,
  redisUrl: string,
  admin: {
    flush(): Promise<unknown>;
    cpu(): Promise<number>;
    calls(): Promise<Map<string, number>>;
  },
): Promise<DurableRun> {
  await admin.flush();
  const env = { REDIS_URL: redisUrl, BENCH_MODE: mode };
  const children: BenchChild[] = [];
  try {
    // The consumer first: it creates the group (and, ours, registers the durable pattern).
    const consumer = BenchChild.start(
      `${side} consumer`,
      join(HERE, SCRIPTS[side].consumer),
      env,
      params.childNodeArgs,
    );
    children.push(consumer);
    const ready = await consumer.waitFor('ready', 30_000);
    const producer = BenchChild.start(
      `${side} producer`,
      join(HERE, SCRIPTS[side].producer),
      env,
      params.childNodeArgs,
    );
    children.push(producer);
    await producer.waitFor('ready', 30_000);
    const phase = (name: string, count: number) =>
      runPhase(consumer, producer, {
        name,
        count,
        window: params.window,
        ...(mode === 'latency' ? { rate: params.rate } : {}),
      });
    if (mode === 'throughput') {
      // Two warm-ups a second apart: the JIT warms up, and the bus' producer, whose PUBLISH of
      // bench.job nobody hears, stops sending it (redis.skipUnheardPublishes) as it would in a
      // long-running process.
      await phase('warmup', params.warmupEvents);
      await new Promise(r => setTimeout(r, 1100));
      await phase('warmup 2', params.warmupEvents);
    } else if (params.warmupSeconds > 0) {
      await phase('warmup', params.rate * params.warmupSeconds);
    }
    const events =
      mode === 'throughput' ? params.events : params.rate * params.seconds;
    const callsBefore = await admin.calls();
    const redisBefore = await admin.cpu();
    const { d, p } = await phase('measure', events);
    const redisUs = (await admin.cpu()) - redisBefore;
    const redisCallsPerEvent: Record<string, number> = {};
    for (const [command, calls] of await admin.calls()) {
      const delta = calls - (callsBefore.get(command) ?? 0);
      // INFO itself and the CPU probes are the runner's.
      if (delta > 0 && command !== 'info')
        redisCallsPerEvent[command] = round(delta / events, 4);
    }
    if (Number(d.strays) > 0)
      throw new Error(
        `${side} consumer got ${String(d.strays)} events outside a phase`,
      );
    return {
      side,
      mode,
      rep,
      order,
      events,
      eventsPerSecond: (events / (Number(d.tLast) - Number(p.t0))) * 1000,
      latencyMs: pct(d),
      ...(mode === 'latency'
        ? { scheduleLagMs: pct(p.scheduleLag as BenchMessage) }
        : {}),
      cpuUsPerEvent: {
        producer: Number(p.cpuUs) / events,
        consumer: Number(d.cpuUs) / events,
        redis: redisUs / events,
      },
      redisCallsPerEvent,
      producer: mem(p),
      consumer: { ...mem(d), rssIdleMb: Number(ready.rssMb) },
    };
  } finally {
    await Promise.all(children.map(child => child.stop()));
  }
}

function describe(run: DurableRun): string {
  const l = run.latencyMs;
  const c = run.cpuUsPerEvent;
  return (
    `${fmt(run.eventsPerSecond)} ev/s; latency p50 ${fmt(l.p50, 3)} ms, p99 ${fmt(l.p99, 3)} ms, max ${fmt(l.max, 2)} ms; ` +
    (run.scheduleLagMs
      ? `schedule lag p99 ${fmt(run.scheduleLagMs.p99, 2)} / max ${fmt(run.scheduleLagMs.max, 2)} ms; `
      : '') +
    `commands/event ${Object.entries(run.redisCallsPerEvent)
      .map(([command, calls]) => `${command} ${fmt(calls, 3)}`)
      .join(', ')}; ` +
    `CPU us/event producer ${fmt(c.producer, 1)}, consumer ${fmt(c.consumer, 1)}, redis ${fmt(c.redis, 1)}; ` +
    `RSS producer ${fmt(run.producer.rssEndMb, 1)} MB (peak ${fmt(run.producer.maxRssMb, 1)}), consumer ${fmt(run.consumer.rssEndMb, 1)} MB (peak ${fmt(run.consumer.maxRssMb, 1)})`
  );
}

function summarize(runs: DurableRun[], side: Side, mode: Mode) {
  const mine = runs.filter(run => run.side === side && run.mode === mode);
  if (mine.length === 0) return undefined;
  const med = (pick: (run: DurableRun) => number, digits: number): number =>
    round(median(mine.map(pick)), digits);
  return {
    eventsPerSecond: med(r => r.eventsPerSecond, 0),
    latencyMs: {
      p50: med(r => r.latencyMs.p50, 3),
      p99: med(r => r.latencyMs.p99, 3),
      max: med(r => r.latencyMs.max, 2),
    },
    cpuUsPerEvent: {
      producer: med(r => r.cpuUsPerEvent.producer, 1),
      consumer: med(r => r.cpuUsPerEvent.consumer, 1),
      redis: med(r => r.cpuUsPerEvent.redis, 1),
    },
    producerRssEndMb: med(r => r.producer.rssEndMb, 1),
    producerMaxRssMb: med(r => r.producer.maxRssMb, 1),
    consumerRssEndMb: med(r => r.consumer.rssEndMb, 1),
    consumerMaxRssMb: med(r => r.consumer.maxRssMb, 1),
  };
}
type Summary = NonNullable<ReturnType<typeof summarize>>;

async function main(): Promise<void> {
  const params = readParams();
  log(
    `${SCENARIO}: ${params.reps} repetitions; throughput ${fmt(params.events)} events (<= ${params.window} in flight), latency ${fmt(params.rate)} events/s for ${params.seconds} s (+${params.warmupSeconds} s warm-up); ${PAYLOAD_BYTES} B JSON data; sides ${params.sides.join(', ')}`,
  );
  const lifecycle = benchLifecycle(log);
  try {
    const { url, admin, machine } = await lifecycle.startRedis();
    const runs: DurableRun[] = [];
    for (let rep = 1; rep <= params.reps; rep++) {
      const order = rotatedOrder(params.sides, rep);
      for (const mode of params.modes) {
        for (const [index, side] of order.entries()) {
          log(`repetition ${rep}/${params.reps}, ${mode}, ${LABEL[side]}...`);
          const run = await runSide(side, mode, rep, index + 1, params, url, {
            flush: () => admin.flushall(),
            cpu: () => redisCpuUs(admin),
            calls: () => commandCalls(admin),
          });
          runs.push(run);
          log(`  ${describe(run)}`);
        }
      }
    }

    const medians: Record<Mode, Partial<Record<Side, Summary>>> = {
      throughput: {},
      latency: {},
    };
    for (const mode of params.modes)
      for (const side of params.sides) {
        const summary = summarize(runs, side, mode);
        if (summary) medians[mode][side] = summary;
      }
    const paired = (mode: Mode, pick: (run: DurableRun) => number) =>
      Array.from({ length: params.reps }, (_, i) => {
        const find = (side: Side) =>
          runs.find(r => r.rep === i + 1 && r.side === side && r.mode === mode);
        const o = find('ours');
        const b = find('baseline');
        return o && b ? round(pick(o) / pick(b), 3) : NaN;
      }).filter(Number.isFinite);
    const over = (
      mode: Mode,
      pick: (s: Summary) => number,
      digits: number,
    ): number | undefined => {
      const o = medians[mode].ours;
      const b = medians[mode].baseline;
      return o && b ? round(pick(o) / pick(b), digits) : undefined;
    };
    const ratio = {
      throughput: over('throughput', s => s.eventsPerSecond, 3),
      p50: over('latency', s => s.latencyMs.p50, 2),
      p99: over('latency', s => s.latencyMs.p99, 2),
      max: over('latency', s => s.latencyMs.max, 2),
      producerCpuPerEvent: over('throughput', s => s.cpuUsPerEvent.producer, 2),
      consumerCpuPerEvent: over('throughput', s => s.cpuUsPerEvent.consumer, 2),
      redisCpuPerEvent: over('throughput', s => s.cpuUsPerEvent.redis, 2),
      consumerRssEnd: over('throughput', s => s.consumerRssEndMb, 2),
      producerRssEnd: over('throughput', s => s.producerRssEndMb, 2),
    };
    const perRepetition = {
      throughput: paired('throughput', r => r.eventsPerSecond),
      p99: paired('latency', r => r.latencyMs.p99),
    };

    const rows: string[][] = [];
    const add = (
      mode: Mode,
      label: string,
      pick: (s: Summary) => number,
      digits: number,
    ) => {
      if (!params.modes.includes(mode)) return;
      const cells = params.sides.map(side => {
        const s = medians[mode][side];
        return s ? fmt(pick(s), digits) : 'n/a';
      });
      const o = medians[mode].ours;
      const b = medians[mode].baseline;
      rows.push([label, ...cells, o && b ? fmt(pick(o) / pick(b), 2) : 'n/a']);
    };
    add('throughput', 'throughput, events/s', s => s.eventsPerSecond, 0);
    add(
      'throughput',
      '  producer CPU/event, us',
      s => s.cpuUsPerEvent.producer,
      1,
    );
    add(
      'throughput',
      '  consumer CPU/event, us',
      s => s.cpuUsPerEvent.consumer,
      1,
    );
    add('throughput', '  redis CPU/event, us', s => s.cpuUsPerEvent.redis, 1);
    add('throughput', '  producer RSS end, MB', s => s.producerRssEndMb, 1);
    add('throughput', '  consumer RSS end, MB', s => s.consumerRssEndMb, 1);
    add('throughput', '  latency p99 (saturated), ms', s => s.latencyMs.p99, 1);
    add('latency', `p50 at ${params.rate}/s, ms`, s => s.latencyMs.p50, 3);
    add('latency', `p99 at ${params.rate}/s, ms`, s => s.latencyMs.p99, 3);
    add('latency', `max at ${params.rate}/s, ms`, s => s.latencyMs.max, 2);
    add(
      'latency',
      '  producer CPU/event, us',
      s => s.cpuUsPerEvent.producer,
      1,
    );
    add(
      'latency',
      '  consumer CPU/event, us',
      s => s.cpuUsPerEvent.consumer,
      1,
    );
    add('latency', '  redis CPU/event, us', s => s.cpuUsPerEvent.redis, 1);
    add('latency', '  producer RSS end, MB', s => s.producerRssEndMb, 1);
    add('latency', '  consumer RSS end, MB', s => s.consumerRssEndMb, 1);
    console.log('');
    console.log(`${SCENARIO} (${params.reps} reps; medians)`);
    console.log(
      table(['', ...params.sides.map(s => LABEL[s]), 'ours/raw'], rows),
    );
    console.log(
      `throughput ratio per repetition: ${perRepetition.throughput.join(' ')}; p99 ratio per repetition: ${perRepetition.p99.join(' ')}`,
    );
    const oursP99 = medians.latency.ours?.latencyMs.p99;
    const headline = median(perRepetition.throughput);
    const met = {
      throughput: Number.isFinite(headline)
        ? headline >= TARGET.throughputRatio
        : undefined,
      p99: oursP99 === undefined ? undefined : oursP99 <= TARGET.p99Ms,
    };
    console.log(
      `targets: throughput ratio (median per repetition ${fmt(headline, 3)}) >= ${TARGET.throughputRatio} (${met.throughput ? 'met' : 'not met'}), p99 <= ${TARGET.p99Ms} ms (${met.p99 ? 'met' : 'not met'})`,
    );

    const result = {
      scenario: SCENARIO,
      description:
        'Durable delivery through one Redis Streams consumer group, one producer and one consumer process, 1 KB JSON data: the event bus (publish -> @OnEvent durable, concurrency and batchSize 100) against raw ioredis (auto-pipelined XADD MAXLEN ~ 100000 -> XREADGROUP COUNT 100 BLOCK 1000 + JSON.parse + one XACK per batch, next read without waiting for the XACK). Throughput: first publish to last handler call, <= window in flight. Latency: a fixed rate, creation of the data to the handler call.',
      date: new Date().toISOString(),
      machine,
      clock:
        'performance.timeOrigin + performance.now() in each process (bench/lib/ipc.ts)',
      params: {
        mode: params.mode,
        reps: params.reps,
        throughputEvents: params.events,
        warmupEvents: params.warmupEvents,
        rate: params.rate,
        seconds: params.seconds,
        warmupSeconds: params.warmupSeconds,
        window: params.window,
        payloadBytes: PAYLOAD_BYTES,
        eventType: DURABLE_TYPE,
        stream: STREAM_KEY,
        group: GROUP,
        batch: BATCH,
        blockMs: BLOCK_MS,
        sides: params.sides,
        modes: params.modes,
        childNodeArgs: params.childNodeArgs,
        custom: params.custom,
      },
      runs: runs.map(run => ({
        ...run,
        eventsPerSecond: round(run.eventsPerSecond),
        latencyMs: roundAll(run.latencyMs, 3),
        ...(run.scheduleLagMs
          ? { scheduleLagMs: roundAll(run.scheduleLagMs, 3) }
          : {}),
        cpuUsPerEvent: roundAll(run.cpuUsPerEvent, 2),
        producer: roundAll(run.producer, 1),
        consumer: roundAll(run.consumer, 1),
      })),
      median: medians,
      // The headline: the median of the per-repetition ratios (both sides of a repetition ran
      // minutes apart at most), less swayed by a repetition the shared machine slowed for one side.
      ratio: round(median(perRepetition.throughput), 3),
      ratios: ratio,
      perRepetitionRatios: perRepetition,
      target: { ...TARGET, met, issueReference: ISSUE },
    };
    mkdirSync(RESULTS, { recursive: true });
    const file = join(
      RESULTS,
      params.custom
        ? `${SCENARIO}.custom.tmp.json`
        : params.mode === 'quick'
          ? `${SCENARIO}.quick.json`
          : `${SCENARIO}.json`,
    );
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    log(`wrote ${file}`);
  } finally {
    await lifecycle.stop();
  }
}

/** Calls per command since the server started (INFO commandstats). */
async function commandCalls(admin: Redis): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(match[1], Number(match[2]));
  return calls;
}

function roundAll<T extends object>(values: T, digits: number): T {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      round(value as number, digits),
    ]),
  ) as T;
}

main().catch(error => {
  console.error(`[bench] failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
