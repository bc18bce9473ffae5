/**
 * Microservices interop beside Nest's built-in Transport.REDIS, in one run:
 * `ClientProxy.emit('bench.event', data)` in one process to an
 * `@EventPattern('bench.event')` handler in a Nest microservice in another,
 * through our transport (EventBusClientProxy → EventBusServer) and through
 * `Transport.REDIS` (ClientRedis → ServerRedis), 1 KB JSON data.
 *
 * npm run bench:microservices [-- --quick]
 *
 * Starts its own redis-server on a free loopback port, alternates the sides
 * inside every repetition, prints progress and a table of medians, and writes
 * bench/results/microservices.json (microservices.quick.json for --quick; any
 * other flag writes microservices.custom.tmp.json). Full: 5 repetitions of
 * 100,000 events (+10,000 warm-up) per side; quick: 2 of 20,000 (+2,000).
 *
 * Flags: --quick, --reps=N, --events=N, --warmup=N, --window=N,
 * --only=ours|baseline, --cpu-prof=DIR (children run with node --cpu-prof),
 * --child-node-arg=FLAG (repeatable), --builtin-autopipelining (the built-in's
 * ioredis clients get enableAutoPipelining: true, as the bus' publisher has).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { PAYLOAD_BYTES } from '../fanout/payload.js';
import { BenchChild, runPhase } from '../lib/child.js';
import type { BenchMessage } from '../lib/ipc.js';
import { fmt, median, round, table } from '../lib/stats.js';
import { benchLifecycle, redisCpuUs } from '../lib/redis-admin.js';
import { CHANNELS, EVENT_NAME } from './common.js';
import { flag, intFlag } from '../lib/flags.js';

const HERE = dirname(fileURLToPath(import.meta.url));
// dist/bench/microservices → the repository's bench/results.
const RESULTS = join(HERE, '..', '..', '..', 'bench', 'results');
const SCENARIO = 'microservices';
const TARGET_RATIO = 1.5;

/** `ours`: EventBusClientProxy → EventBusServer; `baseline`: Transport.REDIS on both ends. */
type Side = 'ours' | 'baseline';

const SCRIPTS: Record<Side, { consumer: string; producer: string }> = {
  ours: { consumer: 'consumer-ours.js', producer: 'producer-ours.js' },
  baseline: {
    consumer: 'consumer-builtin.js',
    producer: 'producer-builtin.js',
  },
};
const LABELS: Record<Side, string> = {
  ours: 'ours (EventBusServer)',
  baseline: 'baseline (Transport.REDIS)',
};

interface Params {
  mode: 'full' | 'quick';
  reps: number;
  events: number;
  warmupEvents: number;
  window: number;
  sides: Side[];
  builtinAutoPipelining: boolean;
  cpuProfDir?: string;
  childNodeArgs: string[];
  /** True when a flag other than --quick changed the run: it is not the reference run. */
  custom: boolean;
}

/** One measured run of one side. */
interface Run {
  side: Side;
  rep: number;
  /** 1 when this side ran first in its repetition, 2 when second. */
  order: number;
  events: number;
  /** First emit call (producer) to last handler call (consumer). */
  elapsedMs: number;
  eventsPerSecond: number;
  /** First emit call to last settled emit, in the producer. */
  emitMs: number;
  /** Emits settled per second in the producer (events / emitMs). */
  sendPerSecond: number;
  /** Bytes of one message on the wire. */
  wireBytes: number;
  /** CPU time per event during the measured phase (user + system, all threads), in microseconds. */
  cpuUsPerEvent: { producer: number; consumer: number; redis: number };
  /** Emit call (data creation) to handler call, under saturation (`window` in flight). */
  latencyMs: { p50: number; p99: number; max: number };
  producer: { rssEndMb: number; maxRssMb: number };
  consumer: {
    /** RSS once listening, before any event. */
    rssIdleMb: number;
    /** RSS right after the last handled event. */
    rssEndMb: number;
    maxRssMb: number;
    heapUsedMb: number;
  };
}

function readParams(): Params {
  const quick = process.argv.includes('--quick');
  const only = flag('only');
  if (only !== undefined && only !== 'ours' && only !== 'baseline')
    throw new Error(`--only=${only}: expected ours or baseline`);
  const cpuProf = flag('cpu-prof');
  return {
    mode: quick ? 'quick' : 'full',
    reps: Math.max(1, intFlag('reps', quick ? 2 : 5)),
    events: Math.max(1, intFlag('events', quick ? 20_000 : 100_000)),
    warmupEvents: intFlag('warmup', quick ? 2_000 : 10_000),
    window: Math.max(1, intFlag('window', 1000)),
    sides: only ? [only] : ['ours', 'baseline'],
    builtinAutoPipelining: process.argv.includes('--builtin-autopipelining'),
    cpuProfDir: cpuProf ? resolve(cpuProf) : undefined,
    childNodeArgs: process.argv
      .filter(arg => arg.startsWith('--child-node-arg='))
      .map(arg => arg.slice('--child-node-arg='.length)),
    custom: process.argv.slice(2).some(arg => arg !== '--quick'),
  };
}

const log = (line: string): void => console.log(`[bench] ${line}`);

const START_TIMEOUT_MS = 30_000;

/** Waits until redis-server reports a subscriber on `channel` (ServerRedis does not await its SUBSCRIBE). */
async function waitForSubscriber(
  admin: Redis,
  channel: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reply = (await admin.call('PUBSUB', 'NUMSUB', channel)) as [
      string,
      number,
    ];
    if (Number(reply[1]) >= 1) return;
    await new Promise(r => setTimeout(r, 20));
  }
  throw new Error(`no subscriber on ${channel} after ${timeoutMs} ms`);
}

async function phase(
  consumer: BenchChild,
  producer: BenchChild,
  name: string,
  count: number,
  firstSeq: number,
  window: number,
): Promise<{ handled: BenchMessage; emitted: BenchMessage }> {
  try {
    const { d, p } = await runPhase(consumer, producer, {
      name,
      count,
      window,
      firstSeq,
    });
    return { handled: d, emitted: p };
  } catch (error) {
    // Say how far the consumer got (and, for ours, what the bus counted), then fail.
    let detail = '';
    try {
      consumer.send({ kind: 'progress' });
      detail = ` (consumer: ${JSON.stringify(await consumer.waitFor('progress', 2000))})`;
    } catch {
      // the consumer is gone: the original error says so
    }
    throw new Error(`${(error as Error).message}${detail}`);
  }
}

/**
 * Runs one side once: a fresh consumer child and a fresh producer child,
 * a warm-up phase, then `events` measured events.
 */
async function runSide(
  side: Side,
  rep: number,
  order: number,
  params: Params,
  redisUrl: string,
  admin: Redis,
  execArgv: string[],
): Promise<Run> {
  const env: Record<string, string> = {
    REDIS_URL: redisUrl,
    BUILTIN_AUTOPIPELINING: params.builtinAutoPipelining ? '1' : '0',
  };
  const children: BenchChild[] = [];
  try {
    const consumer = BenchChild.start(
      `${side} consumer`,
      join(HERE, SCRIPTS[side].consumer),
      env,
      execArgv,
    );
    children.push(consumer);
    const producer = BenchChild.start(
      `${side} producer`,
      join(HERE, SCRIPTS[side].producer),
      env,
      execArgv,
    );
    children.push(producer);
    const [ready] = await Promise.all([
      consumer.waitFor('ready', START_TIMEOUT_MS),
      producer.waitFor('ready', START_TIMEOUT_MS),
    ]);
    await waitForSubscriber(admin, CHANNELS[side]);
    if (params.warmupEvents > 0) {
      await phase(
        consumer,
        producer,
        'warmup',
        params.warmupEvents,
        0,
        params.window,
      );
    }
    const redisCpuBefore = await redisCpuUs(admin);
    const { handled, emitted } = await phase(
      consumer,
      producer,
      'measure',
      params.events,
      params.warmupEvents,
      params.window,
    );
    const redisCpu = (await redisCpuUs(admin)) - redisCpuBefore;
    if (Number(handled.strays) > 0) {
      throw new Error(
        `${side} consumer got ${String(handled.strays)} events outside a phase`,
      );
    }
    const elapsedMs = Number(handled.tLast) - Number(emitted.t0);
    const emitMs = Number(emitted.tEnd) - Number(emitted.t0);
    return {
      side,
      rep,
      order,
      events: params.events,
      elapsedMs,
      eventsPerSecond: (params.events / elapsedMs) * 1000,
      emitMs,
      sendPerSecond: (params.events / emitMs) * 1000,
      wireBytes: Number(handled.wireBytes),
      cpuUsPerEvent: {
        producer: Number(emitted.cpuUs) / params.events,
        consumer: Number(handled.cpuUs) / params.events,
        redis: redisCpu / params.events,
      },
      latencyMs: {
        p50: Number(handled.p50),
        p99: Number(handled.p99),
        max: Number(handled.max),
      },
      producer: {
        rssEndMb: Number(emitted.rssMb),
        maxRssMb: Number(emitted.maxRssMb),
      },
      consumer: {
        rssIdleMb: Number(ready.rssMb),
        rssEndMb: Number(handled.rssMb),
        maxRssMb: Number(handled.maxRssMb),
        heapUsedMb: Number(handled.heapUsedMb),
      },
    };
  } finally {
    await Promise.all(children.map(child => child.stop()));
  }
}

function describe(run: Run): string {
  const cpu = run.cpuUsPerEvent;
  const mem = run.consumer;
  return (
    `${fmt(run.events)} events in ${fmt(run.elapsedMs / 1000, 2)} s = ${fmt(run.eventsPerSecond)} events/s handled ` +
    `(emitting ${fmt(run.emitMs / 1000, 2)} s = ${fmt(run.sendPerSecond)}/s, ${run.wireBytes} B/message); ` +
    `CPU us/event: producer ${fmt(cpu.producer, 1)}, consumer ${fmt(cpu.consumer, 1)}, redis ${fmt(cpu.redis, 1)}; ` +
    `latency p50 ${fmt(run.latencyMs.p50, 2)} / p99 ${fmt(run.latencyMs.p99, 2)} / max ${fmt(run.latencyMs.max, 2)} ms; ` +
    `RSS producer ${fmt(run.producer.rssEndMb, 1)} MB (peak ${fmt(run.producer.maxRssMb, 1)}), ` +
    `consumer ${fmt(mem.rssEndMb, 1)} MB (idle ${fmt(mem.rssIdleMb, 1)}, peak ${fmt(mem.maxRssMb, 1)})`
  );
}

function summarize(runs: Run[], side: Side) {
  const mine = runs.filter(run => run.side === side);
  const med = (pick: (run: Run) => number, digits: number): number =>
    round(median(mine.map(pick)), digits);
  return {
    eventsPerSecond: med(r => r.eventsPerSecond, 0),
    sendPerSecond: med(r => r.sendPerSecond, 0),
    elapsedMs: med(r => r.elapsedMs, 1),
    emitMs: med(r => r.emitMs, 1),
    wireBytes: med(r => r.wireBytes, 0),
    cpuUsPerEvent: {
      producer: med(r => r.cpuUsPerEvent.producer, 2),
      consumer: med(r => r.cpuUsPerEvent.consumer, 2),
      redis: med(r => r.cpuUsPerEvent.redis, 2),
    },
    latencyMs: {
      p50: med(r => r.latencyMs.p50, 3),
      p99: med(r => r.latencyMs.p99, 3),
      max: med(r => r.latencyMs.max, 2),
    },
    producerRssEndMb: med(r => r.producer.rssEndMb, 1),
    producerMaxRssMb: med(r => r.producer.maxRssMb, 1),
    consumerRssEndMb: med(r => r.consumer.rssEndMb, 1),
    consumerRssIdleMb: med(r => r.consumer.rssIdleMb, 1),
    consumerMaxRssMb: med(r => r.consumer.maxRssMb, 1),
  };
}

async function main(): Promise<void> {
  const params = readParams();
  const execArgv = [
    ...(params.cpuProfDir
      ? ['--cpu-prof', `--cpu-prof-dir=${params.cpuProfDir}`]
      : []),
    ...params.childNodeArgs,
  ];
  log(
    `${SCENARIO}: ${params.mode} run, ${params.reps} repetitions of ${fmt(params.events)} events (+${fmt(params.warmupEvents)} warm-up), ` +
      `ClientProxy.emit('${EVENT_NAME}') -> @EventPattern, ${PAYLOAD_BYTES} B JSON data, <= ${params.window} emits in flight` +
      (params.builtinAutoPipelining
        ? ', built-in with enableAutoPipelining'
        : ''),
  );
  const lifecycle = benchLifecycle(log);
  try {
    const { url, admin: redis, machine } = await lifecycle.startRedis();
    const runs: Run[] = [];
    for (let rep = 1; rep <= params.reps; rep++) {
      // Alternate who goes first, so warming of the machine and of redis-server favours neither.
      const order: Side[] =
        rep % 2 === 1 ? params.sides : [...params.sides].reverse();
      for (const [index, side] of order.entries()) {
        log(
          `repetition ${rep}/${params.reps}, ${SCENARIO}, ${LABELS[side]}...`,
        );
        const run = await runSide(
          side,
          rep,
          index + 1,
          params,
          url,
          redis,
          execArgv,
        );
        runs.push(run);
        log(`  ${describe(run)}`);
      }
    }

    const ours = summarize(runs, 'ours');
    const baseline = summarize(runs, 'baseline');
    const ratioOf = (o: number, b: number): number => round(o / b, 3);
    const ratio = {
      eventsPerSecond: ratioOf(ours.eventsPerSecond, baseline.eventsPerSecond),
      sendPerSecond: ratioOf(ours.sendPerSecond, baseline.sendPerSecond),
      producerCpuPerEvent: ratioOf(
        ours.cpuUsPerEvent.producer,
        baseline.cpuUsPerEvent.producer,
      ),
      consumerCpuPerEvent: ratioOf(
        ours.cpuUsPerEvent.consumer,
        baseline.cpuUsPerEvent.consumer,
      ),
      latencyP50: ratioOf(ours.latencyMs.p50, baseline.latencyMs.p50),
      latencyP99: ratioOf(ours.latencyMs.p99, baseline.latencyMs.p99),
      producerRssEnd: ratioOf(ours.producerRssEndMb, baseline.producerRssEndMb),
      consumerRssEnd: ratioOf(ours.consumerRssEndMb, baseline.consumerRssEndMb),
      consumerMaxRss: ratioOf(ours.consumerMaxRssMb, baseline.consumerMaxRssMb),
    };
    const pairedRatios = Array.from({ length: params.reps }, (_, i) => {
      const o = runs.find(r => r.rep === i + 1 && r.side === 'ours');
      const b = runs.find(r => r.rep === i + 1 && r.side === 'baseline');
      return o && b ? o.eventsPerSecond / b.eventsPerSecond : NaN;
    }).filter(Number.isFinite);

    // label, ours, baseline, decimals, ours/built-in ratio (when meaningful), target
    const row = (
      label: string,
      o: number,
      b: number,
      digits: number,
      showRatio = false,
      target = '',
    ): string[] => [
      label,
      fmt(o, digits),
      fmt(b, digits),
      showRatio ? fmt(o / b, 2) : '',
      target,
    ];
    const rows = [
      row(
        'events/s handled (first emit -> last handler call)',
        ours.eventsPerSecond,
        baseline.eventsPerSecond,
        0,
        true,
        `>= ${TARGET_RATIO}`,
      ),
      [
        '  ours/built-in per repetition',
        '',
        '',
        pairedRatios.map(r => fmt(r, 2)).join(' '),
        '',
      ],
      row(
        'emits/s settled in the producer',
        ours.sendPerSecond,
        baseline.sendPerSecond,
        0,
        true,
      ),
      row(
        'first emit to last handler call, s',
        ours.elapsedMs / 1000,
        baseline.elapsedMs / 1000,
        2,
      ),
      row('emitting alone, s', ours.emitMs / 1000, baseline.emitMs / 1000, 2),
      row(
        'latency p50 under saturation, ms',
        ours.latencyMs.p50,
        baseline.latencyMs.p50,
        2,
        true,
      ),
      row(
        'latency p99 under saturation, ms',
        ours.latencyMs.p99,
        baseline.latencyMs.p99,
        2,
        true,
      ),
      row(
        'latency max under saturation, ms',
        ours.latencyMs.max,
        baseline.latencyMs.max,
        2,
        true,
      ),
      row(
        'bytes per message on the wire',
        ours.wireBytes,
        baseline.wireBytes,
        0,
        true,
      ),
      row(
        'producer CPU per event, us',
        ours.cpuUsPerEvent.producer,
        baseline.cpuUsPerEvent.producer,
        1,
        true,
      ),
      row(
        'consumer CPU per event, us',
        ours.cpuUsPerEvent.consumer,
        baseline.cpuUsPerEvent.consumer,
        1,
        true,
      ),
      row(
        'redis-server CPU per event, us',
        ours.cpuUsPerEvent.redis,
        baseline.cpuUsPerEvent.redis,
        1,
        true,
      ),
      row(
        'producer RSS at end, MB',
        ours.producerRssEndMb,
        baseline.producerRssEndMb,
        1,
        true,
      ),
      row(
        'producer peak RSS, MB',
        ours.producerMaxRssMb,
        baseline.producerMaxRssMb,
        1,
        true,
      ),
      row(
        'consumer RSS at end, MB',
        ours.consumerRssEndMb,
        baseline.consumerRssEndMb,
        1,
        true,
      ),
      row(
        'consumer RSS idle (before events), MB',
        ours.consumerRssIdleMb,
        baseline.consumerRssIdleMb,
        1,
        true,
      ),
      row(
        'consumer peak RSS, MB',
        ours.consumerMaxRssMb,
        baseline.consumerMaxRssMb,
        1,
        true,
      ),
    ];
    console.log('');
    console.log(
      `${SCENARIO} (${params.mode}: ${params.reps} reps x ${fmt(params.events)} events; medians)`,
    );
    console.log(
      table(
        [
          '',
          'ours (EventBusServer)',
          'Transport.REDIS',
          'ours/built-in',
          'target',
        ],
        rows,
      ),
    );
    console.log('');

    const result = {
      scenario: SCENARIO,
      description:
        "Events per second from ClientProxy.emit('bench.event', data) in one process to an @EventPattern('bench.event') handler in a Nest microservice in another, 1 KB JSON data: our transport (EventBusClientProxy -> EventBusServer, on the event bus over Redis pub/sub) beside Nest's built-in Transport.REDIS (ClientRedis -> ServerRedis).",
      date: new Date().toISOString(),
      mode: params.mode,
      machine,
      params: {
        reps: params.reps,
        events: params.events,
        warmupEvents: params.warmupEvents,
        payloadBytes: PAYLOAD_BYTES,
        window: params.window,
        eventName: EVENT_NAME,
        channels: CHANNELS,
        autoPipelining: {
          ours: 'publisher connection',
          baseline: params.builtinAutoPipelining ? 'both clients' : false,
        },
        redisConfig: { 'client-output-buffer-limit': 'pubsub 0 0 0' },
        childNodeArgs: execArgv,
        custom: params.custom,
      },
      runs: runs.map(run => ({
        ...run,
        elapsedMs: round(run.elapsedMs, 1),
        eventsPerSecond: round(run.eventsPerSecond),
        emitMs: round(run.emitMs, 1),
        sendPerSecond: round(run.sendPerSecond),
        cpuUsPerEvent: {
          producer: round(run.cpuUsPerEvent.producer, 2),
          consumer: round(run.cpuUsPerEvent.consumer, 2),
          redis: round(run.cpuUsPerEvent.redis, 2),
        },
        latencyMs: {
          p50: round(run.latencyMs.p50, 3),
          p99: round(run.latencyMs.p99, 3),
          max: round(run.latencyMs.max, 2),
        },
        producer: {
          rssEndMb: round(run.producer.rssEndMb, 1),
          maxRssMb: round(run.producer.maxRssMb, 1),
        },
        consumer: {
          rssIdleMb: round(run.consumer.rssIdleMb, 1),
          rssEndMb: round(run.consumer.rssEndMb, 1),
          maxRssMb: round(run.consumer.maxRssMb, 1),
          heapUsedMb: round(run.consumer.heapUsedMb, 1),
        },
      })),
      median: { ours, baseline },
      ratio,
      pairedRatios: pairedRatios.map(r => round(r, 3)),
      target: {
        eventsPerSecondRatio: TARGET_RATIO,
        met: ratio.eventsPerSecond >= TARGET_RATIO,
      },
    };
    mkdirSync(RESULTS, { recursive: true });
    const file = join(
      RESULTS,
      params.custom
        ? `${SCENARIO}.custom.tmp.json`
        : params.mode === 'full'
          ? `${SCENARIO}.json`
          : `${SCENARIO}.quick.json`,
    );
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    log(`wrote ${file}`);
  } finally {
    await lifecycle.stop();
  }
}

main().catch(error => {
  console.error(`[bench] failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
