/**
 * Bench runner: `npm run bench` (full) or `npm run bench:quick`.
 *
 * Starts its own redis-server on a free loopback port, runs each scenario with
 * the bus and its baseline alternating inside every repetition, prints progress
 * and a table of medians, and writes bench/results/<scenario>.json (a quick run
 * writes <scenario>.quick.tmp.json, so it never replaces the full figures).
 * Full: 7 repetitions of 100,000 events (+10,000 warm-up) per side; quick: 3 of
 * 40,000 (+4,000), under a minute with the build.
 *
 * Three sides, in an order rotated every repetition: the bus (`ours`), the bus
 * whose publisher has `redis.frames` on (`frames`; its subscriber is the
 * default bus), and raw ioredis (`baseline`).
 *
 * Flags: --quick, --reps=N, --events=N, --warmup=N, --window=N,
 * --only=ours,frames,baseline (any of them), --frames-options=JSON (the
 * frames side's `redis.frames`, default `true`), --cpu-prof=DIR (children run
 * with node --cpu-prof), --child-node-arg=FLAG (repeatable, e.g.
 * --child-node-arg=--trace-gc).
 * A run with any of these flags other than --quick writes a .tmp.json file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, rotatedOrder, round, table } from './lib/stats.js';
import { benchLifecycle, redisCpuUs } from './lib/redis-admin.js';
import {
  runFanoutSide,
  type FanoutRun,
  type Side,
} from './fanout/fanout-throughput.js';
import {
  CHANNEL,
  CHANNEL_GLOB,
  EVENT_PATTERN,
  EVENT_TYPE,
  PAYLOAD_BYTES,
} from './fanout/payload.js';
import { flag, intFlag } from './lib/flags.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RESULTS = join(ROOT, 'bench', 'results');
const SCENARIO = 'fanout-throughput';
const TARGET_RATIO = 0.7;
/** Issue 17's target for frames: events/s against raw per-message pub/sub. */
const TARGET_FRAMES_RATIO = 1.5;
const SIDES: Side[] = ['ours', 'frames', 'baseline'];
const LABEL: Record<Side, string> = {
  ours: 'ours (event bus)',
  frames: 'ours, redis.frames',
  baseline: 'raw ioredis',
};

interface Params {
  mode: 'full' | 'quick';
  reps: number;
  events: number;
  warmupEvents: number;
  window: number;
  sides: Side[];
  framesOptions: string;
  cpuProfDir?: string;
  childNodeArgs: string[];
  /** True when a flag other than --quick changed the run: it is not the reference run. */
  custom: boolean;
}

function readParams(): Params {
  const quick = process.argv.includes('--quick');
  const only = flag('only')?.split(',');
  for (const side of only ?? []) {
    if (!SIDES.includes(side as Side))
      throw new Error(`--only=${side}: expected ${SIDES.join(', ')}`);
  }
  const framesOptions = flag('frames-options') ?? 'true';
  JSON.parse(framesOptions);
  const cpuProf = flag('cpu-prof');
  return {
    mode: quick ? 'quick' : 'full',
    reps: Math.max(1, intFlag('reps', quick ? 3 : 7)),
    events: Math.max(1, intFlag('events', quick ? 40_000 : 100_000)),
    warmupEvents: intFlag('warmup', quick ? 4_000 : 10_000),
    window: Math.max(1, intFlag('window', 1000)),
    sides: SIDES.filter(side => !only || only.includes(side)),
    framesOptions,
    cpuProfDir: cpuProf ? resolve(cpuProf) : undefined,
    childNodeArgs: process.argv
      .filter(arg => arg.startsWith('--child-node-arg='))
      .map(arg => arg.slice('--child-node-arg='.length)),
    custom: process.argv.slice(2).some(arg => arg !== '--quick'),
  };
}

const log = (line: string): void => console.log(`[bench] ${line}`);

function describe(run: FanoutRun): string {
  const cpu = run.cpuUsPerEvent;
  const mem = run.subscriber;
  return (
    `${fmt(run.events)} events in ${fmt(run.elapsedMs / 1000, 2)} s = ${fmt(run.eventsPerSecond)} events/s ` +
    `(publishing ${fmt(run.publishMs / 1000, 2)} s, ${run.wireBytes} B/message); ` +
    `CPU us/event: publisher ${fmt(cpu.publisher, 1)}, subscriber ${fmt(cpu.subscriber, 1)}, redis ${fmt(cpu.redis, 1)}; ` +
    `latency p50 ${fmt(run.latencyMs.p50, 2)} / p99 ${fmt(run.latencyMs.p99, 2)} / max ${fmt(run.latencyMs.max, 2)} ms; ` +
    `RSS publisher ${fmt(run.publisher.rssEndMb, 1)} MB (peak ${fmt(run.publisher.maxRssMb, 1)}), ` +
    `subscriber ${fmt(mem.rssEndMb, 1)} MB (idle ${fmt(mem.rssIdleMb, 1)}, peak ${fmt(mem.maxRssMb, 1)})`
  );
}

function summarize(runs: FanoutRun[], side: Side) {
  const mine = runs.filter(run => run.side === side);
  const med = (pick: (run: FanoutRun) => number, digits: number): number =>
    round(median(mine.map(pick)), digits);
  return {
    eventsPerSecond: med(r => r.eventsPerSecond, 0),
    elapsedMs: med(r => r.elapsedMs, 1),
    publishMs: med(r => r.publishMs, 1),
    wireBytes: med(r => r.wireBytes, 0),
    cpuUsPerEvent: {
      publisher: med(r => r.cpuUsPerEvent.publisher, 2),
      subscriber: med(r => r.cpuUsPerEvent.subscriber, 2),
      redis: med(r => r.cpuUsPerEvent.redis, 2),
    },
    latencyMs: {
      p50: med(r => r.latencyMs.p50, 3),
      p99: med(r => r.latencyMs.p99, 3),
      max: med(r => r.latencyMs.max, 2),
    },
    publisherRssEndMb: med(r => r.publisher.rssEndMb, 1),
    publisherMaxRssMb: med(r => r.publisher.maxRssMb, 1),
    subscriberRssEndMb: med(r => r.subscriber.rssEndMb, 1),
    subscriberRssIdleMb: med(r => r.subscriber.rssIdleMb, 1),
    subscriberMaxRssMb: med(r => r.subscriber.maxRssMb, 1),
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
    `${SCENARIO}: ${params.mode} run, ${params.reps} repetitions of ${fmt(params.events)} events (+${fmt(params.warmupEvents)} warm-up), ${PAYLOAD_BYTES} B JSON data, <= ${params.window} publishes in flight; sides ${params.sides.join(', ')}`,
  );
  const lifecycle = benchLifecycle(log);
  try {
    const { url, admin: redis, machine } = await lifecycle.startRedis();
    const runs: FanoutRun[] = [];
    for (let rep = 1; rep <= params.reps; rep++) {
      const order = rotatedOrder(params.sides, rep);
      for (const [index, side] of order.entries()) {
        log(`repetition ${rep}/${params.reps}, ${SCENARIO}, ${LABEL[side]}...`);
        const run = await runFanoutSide(side, rep, index + 1, {
          redisUrl: url,
          events: params.events,
          warmupEvents: params.warmupEvents,
          window: params.window,
          execArgv,
          redisCpuUs: () => redisCpuUs(redis),
          framesOptions: params.framesOptions,
        });
        runs.push(run);
        log(`  ${describe(run)}`);
      }
    }

    type Summary = ReturnType<typeof summarize>;
    const median_: Partial<Record<Side, Summary>> = {};
    for (const side of params.sides) median_[side] = summarize(runs, side);
    const baseline = median_.baseline;
    const ratioOf = (o: number, r: number): number => round(o / r, 3);
    const ratioTo = (o: Summary | undefined) =>
      o && baseline
        ? {
            eventsPerSecond: ratioOf(
              o.eventsPerSecond,
              baseline.eventsPerSecond,
            ),
            publisherCpuPerEvent: ratioOf(
              o.cpuUsPerEvent.publisher,
              baseline.cpuUsPerEvent.publisher,
            ),
            subscriberCpuPerEvent: ratioOf(
              o.cpuUsPerEvent.subscriber,
              baseline.cpuUsPerEvent.subscriber,
            ),
            latencyP50: ratioOf(o.latencyMs.p50, baseline.latencyMs.p50),
            latencyP99: ratioOf(o.latencyMs.p99, baseline.latencyMs.p99),
            publisherRssEnd: ratioOf(
              o.publisherRssEndMb,
              baseline.publisherRssEndMb,
            ),
            subscriberRssEnd: ratioOf(
              o.subscriberRssEndMb,
              baseline.subscriberRssEndMb,
            ),
            subscriberMaxRss: ratioOf(
              o.subscriberMaxRssMb,
              baseline.subscriberMaxRssMb,
            ),
          }
        : undefined;
    const paired = (side: Side): number[] =>
      Array.from({ length: params.reps }, (_, i) => {
        const o = runs.find(r => r.rep === i + 1 && r.side === side);
        const b = runs.find(r => r.rep === i + 1 && r.side === 'baseline');
        return o && b ? o.eventsPerSecond / b.eventsPerSecond : NaN;
      }).filter(Number.isFinite);
    const ratio = ratioTo(median_.ours);
    const ratioFrames = ratioTo(median_.frames);

    const others = params.sides.filter(side => side !== 'baseline');
    // label, one value per side, then each side's ratio to raw (when meaningful)
    const row = (
      label: string,
      pick: (s: Summary) => number,
      digits: number,
      showRatio = false,
    ): string[] => [
      label,
      ...params.sides.map(side => fmt(pick(median_[side]!), digits)),
      ...others.map(side =>
        showRatio && baseline
          ? fmt(pick(median_[side]!) / pick(baseline), 2)
          : '',
      ),
    ];
    const rows = [
      row('events/s', s => s.eventsPerSecond, 0, true),
      [
        '  / raw per repetition',
        ...params.sides.map(() => ''),
        ...others.map(side =>
          paired(side)
            .map(r => fmt(r, 2))
            .join(' '),
        ),
      ],
      row('first publish to last delivery, s', s => s.elapsedMs / 1000, 2),
      row('publishing alone, s', s => s.publishMs / 1000, 2),
      row('latency p50 under saturation, ms', s => s.latencyMs.p50, 2, true),
      row('latency p99 under saturation, ms', s => s.latencyMs.p99, 2, true),
      row('latency max under saturation, ms', s => s.latencyMs.max, 2, true),
      row('bytes per event on the wire', s => s.wireBytes, 0, true),
      row(
        'publisher CPU per event, us',
        s => s.cpuUsPerEvent.publisher,
        1,
        true,
      ),
      row(
        'subscriber CPU per event, us',
        s => s.cpuUsPerEvent.subscriber,
        1,
        true,
      ),
      row(
        'redis-server CPU per event, us',
        s => s.cpuUsPerEvent.redis,
        1,
        true,
      ),
      row('publisher RSS at end, MB', s => s.publisherRssEndMb, 1, true),
      row('publisher peak RSS, MB', s => s.publisherMaxRssMb, 1, true),
      row('subscriber RSS at end, MB', s => s.subscriberRssEndMb, 1, true),
      row(
        'subscriber RSS idle (before events), MB',
        s => s.subscriberRssIdleMb,
        1,
        true,
      ),
      row('subscriber peak RSS, MB', s => s.subscriberMaxRssMb, 1, true),
    ];
    console.log('');
    console.log(
      `${SCENARIO} (${params.mode}: ${params.reps} reps x ${fmt(params.events)} events; medians; targets: ours/raw >= ${TARGET_RATIO}, frames/raw >= ${TARGET_FRAMES_RATIO})`,
    );
    console.log(
      table(
        [
          '',
          ...params.sides.map(side => LABEL[side]),
          ...(baseline ? others.map(side => `${side}/raw`) : []),
        ],
        rows,
      ),
    );
    console.log('');

    const result = {
      scenario: SCENARIO,
      description:
        'Events per second published by one process and delivered to a pattern handler in another, through Redis pub/sub, 1 KB JSON data: the event bus (@OnEvent), the bus whose publisher has redis.frames on (many events per pub/sub message; the subscriber is the default bus), and raw ioredis (PUBLISH / PSUBSCRIBE + JSON.parse).',
      date: new Date().toISOString(),
      mode: params.mode,
      machine,
      params: {
        reps: params.reps,
        events: params.events,
        warmupEvents: params.warmupEvents,
        payloadBytes: PAYLOAD_BYTES,
        window: params.window,
        eventType: EVENT_TYPE,
        pattern: EVENT_PATTERN,
        channel: CHANNEL,
        redisGlob: CHANNEL_GLOB,
        sides: params.sides,
        framesOptions: JSON.parse(params.framesOptions) as unknown,
        autoPipelining: { ours: true, frames: true, baseline: true },
        redisConfig: { 'client-output-buffer-limit': 'pubsub 0 0 0' },
        childNodeArgs: execArgv,
        custom: params.custom,
      },
      runs: runs.map(run => ({
        ...run,
        elapsedMs: round(run.elapsedMs, 1),
        eventsPerSecond: round(run.eventsPerSecond),
        publishMs: round(run.publishMs, 1),
        cpuUsPerEvent: {
          publisher: round(run.cpuUsPerEvent.publisher, 2),
          subscriber: round(run.cpuUsPerEvent.subscriber, 2),
          redis: round(run.cpuUsPerEvent.redis, 2),
        },
        latencyMs: {
          p50: round(run.latencyMs.p50, 3),
          p99: round(run.latencyMs.p99, 3),
          max: round(run.latencyMs.max, 2),
          mean: round(run.latencyMs.mean, 3),
        },
        publisher: {
          rssEndMb: round(run.publisher.rssEndMb, 1),
          maxRssMb: round(run.publisher.maxRssMb, 1),
        },
        subscriber: {
          rssIdleMb: round(run.subscriber.rssIdleMb, 1),
          rssEndMb: round(run.subscriber.rssEndMb, 1),
          maxRssMb: round(run.subscriber.maxRssMb, 1),
          heapUsedMb: round(run.subscriber.heapUsedMb, 1),
        },
      })),
      median: median_,
      ratio,
      pairedRatios: paired('ours').map(r => round(r, 3)),
      ratioFrames,
      pairedRatiosFrames: paired('frames').map(r => round(r, 3)),
      target: {
        eventsPerSecondRatio: TARGET_RATIO,
        met: ratio ? ratio.eventsPerSecond >= TARGET_RATIO : undefined,
        framesEventsPerSecondRatio: TARGET_FRAMES_RATIO,
        framesMet: ratioFrames
          ? ratioFrames.eventsPerSecond >= TARGET_FRAMES_RATIO
          : undefined,
      },
    };
    mkdirSync(RESULTS, { recursive: true });
    const file = join(
      RESULTS,
      params.mode === 'full' && !params.custom
        ? `${SCENARIO}.json`
        : `${SCENARIO}.${params.custom ? 'custom' : params.mode}.tmp.json`,
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
