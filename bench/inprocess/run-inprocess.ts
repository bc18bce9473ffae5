/**
 * In-process events (issue 17): `npm run bench:inprocess`.
 *
 * What a single-process app gets: the bus on its memory transport (no
 * REDIS_URL), `EventBusService.publish('bench.tick', data)` → one `@OnEvent`
 * method, with the bus' default validation (type name, JSON-ness, depth and
 * size limits) and, as a second side, with a class-validator DTO registered for
 * the type; against `@nestjs/event-emitter` (`EventEmitter2.emit` → its
 * `@OnEvent`). 1 KB data (bench/fanout/payload.ts), one fresh child process per
 * side and repetition, sides in an order rotated every repetition.
 *
 * Per child: a throughput phase (warm-up, then `--events` events in batches of
 * `--batch`: the batch's publish promises awaited when the side returns any,
 * then one setImmediate; ends at the last handler call), then a latency phase
 * at a fixed rate (bench/latency's rate publisher and recorder: creation of the
 * data to the handler call). Writes bench/results/inprocess.json (--quick:
 * inprocess.quick.tmp.json; any other flag but --reps: inprocess.custom.tmp.json).
 *
 * Flags: --reps=N (5), --quick, --events=N (200000), --warmup=N (20000),
 * --batch=N (1000), --rate=N (5000), --seconds=N (10), --warmup-seconds=N (1),
 * --window=N (1000), --only=ours,ours-schema,baseline, --child-node-arg=FLAG
 * (repeatable, e.g. --child-node-arg=--cpu-prof), --before=DIR: adds the side
 * `ours-before`, the bus side run from DIR, another checkout built with this
 * bench copied in (e.g. the commit before a change), so before and after are
 * compared inside one run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild, killAllChildren, runPhase } from '../lib/child.js';
import { flag, intFlag } from '../lib/flags.js';
import {
  fmt,
  machineInfo,
  median,
  rotatedOrder,
  round,
  table,
} from '../lib/stats.js';
import { EVENT_TYPE, PAYLOAD_BYTES } from '../fanout/payload.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..', '..');
const RESULTS = join(ROOT, 'bench', 'results');
const SCENARIO = 'inprocess';

/** Issue 17's target and its own measurement (ours / event-emitter, events/s). */
const TARGET_RATIO = 0.5;
const ISSUE_REFERENCE = { ours: 65_800, baseline: 971_000, ratio: 0.068 };

type Side = 'ours' | 'ours-schema' | 'ours-before' | 'baseline';
const SIDES: Side[] = ['ours', 'ours-schema', 'ours-before', 'baseline'];
const LABEL: Record<Side, string> = {
  ours: 'ours (memory transport)',
  'ours-schema': 'ours + class-validator DTO',
  'ours-before': 'ours from --before',
  baseline: 'baseline (@nestjs/event-emitter)',
};
const BEFORE = flag('before');
const SCRIPTS: Record<Side, { script: string; env: Record<string, string> }> = {
  ours: { script: join(HERE, 'child-ours.js'), env: {} },
  'ours-schema': {
    script: join(HERE, 'child-ours.js'),
    env: { BENCH_SCHEMA: 'true' },
  },
  'ours-before': {
    script: join(resolve(BEFORE ?? '.'), 'dist/bench/inprocess/child-ours.js'),
    env: {},
  },
  baseline: { script: join(HERE, 'child-baseline.js'), env: {} },
};

const log = (line: string): void => console.log(`[bench] ${line}`);

function readParams() {
  const quick = process.argv.includes('--quick');
  const only = flag('only')?.split(',');
  for (const side of only ?? []) {
    if (!SIDES.includes(side as Side))
      throw new Error(`--only=${side}: expected ${SIDES.join(', ')}`);
  }
  const childNodeArgs = process.argv
    .filter(arg => arg.startsWith('--child-node-arg='))
    .map(arg => arg.slice('--child-node-arg='.length));
  return {
    quick,
    reps: Math.max(1, intFlag('reps', quick ? 3 : 5)),
    events: Math.max(1, intFlag('events', quick ? 50_000 : 200_000)),
    warmup: intFlag('warmup', quick ? 10_000 : 20_000),
    batch: Math.max(1, intFlag('batch', 1000)),
    rate: Math.max(1, intFlag('rate', 5000)),
    seconds: Math.max(1, intFlag('seconds', quick ? 2 : 10)),
    warmupSeconds: intFlag('warmup-seconds', 1),
    window: Math.max(1, intFlag('window', 1000)),
    sides: SIDES.filter(
      side =>
        (!only || only.includes(side)) &&
        (side !== 'ours-before' || BEFORE !== undefined),
    ),
    childNodeArgs,
    custom: process.argv
      .slice(2)
      .some(arg => !arg.startsWith('--reps=') && arg !== '--quick'),
  };
}
type Params = ReturnType<typeof readParams>;

interface InProcessRun {
  side: Side;
  rep: number;
  order: number;
  /** Handler calls per second in the throughput phase. */
  eventsPerSecond: number;
  /** CPU (user + system) of the one process per event, throughput phase, µs. */
  cpuUsPerEvent: number;
  /** Creation of the data to the handler call at `rate` events/s, ms. */
  latencyMs: { p50: number; p99: number; max: number; mean: number };
  /** CPU per event in the latency phase, µs (mostly the cost of an idle-ish loop at that rate). */
  latencyCpuUsPerEvent: number;
  /** How late the rate publisher created events against its schedule, ms. */
  scheduleLagP99Ms: number;
  rssIdleMb: number;
  rssEndMb: number;
  maxRssMb: number;
  heapUsedMb: number;
}

async function runSide(
  side: Side,
  rep: number,
  order: number,
  params: Params,
): Promise<InProcessRun> {
  const { script, env } = SCRIPTS[side];
  const child = BenchChild.start(side, script, env, params.childNodeArgs);
  try {
    const ready = await child.waitFor('ready', 30_000);
    const throughput = async (count: number) => {
      child.send({ kind: 'throughput', count, batch: params.batch });
      return child.waitFor('throughput-done', 60_000 + count);
    };
    if (params.warmup > 0) await throughput(params.warmup);
    const t = await throughput(params.events);
    const latency = (name: string, count: number) =>
      runPhase(child, child, {
        name,
        count,
        window: params.window,
        rate: params.rate,
      });
    if (params.warmupSeconds > 0)
      await latency('warmup', params.rate * params.warmupSeconds);
    const latencyEvents = params.rate * params.seconds;
    const { d, p } = await latency('measure', latencyEvents);
    return {
      side,
      rep,
      order,
      eventsPerSecond: Number(t.count) / Number(t.seconds),
      cpuUsPerEvent: Number(t.cpuUs) / Number(t.count),
      latencyMs: {
        p50: Number(d.p50),
        p99: Number(d.p99),
        max: Number(d.max),
        mean: Number(d.mean),
      },
      // The publisher's CPU figure covers the phase in this one process (publish and handler).
      latencyCpuUsPerEvent: Number(p.cpuUs) / latencyEvents,
      scheduleLagP99Ms: Number((p.scheduleLag as { p99: number }).p99),
      rssIdleMb: Number(ready.rssMb),
      rssEndMb: Number(d.rssMb),
      maxRssMb: Number(d.maxRssMb),
      heapUsedMb: Number(d.heapUsedMb),
    };
  } finally {
    await child.stop();
  }
}

function describe(run: InProcessRun): string {
  const l = run.latencyMs;
  return (
    `${fmt(run.eventsPerSecond)} ev/s, CPU ${fmt(run.cpuUsPerEvent, 2)} us/event; ` +
    `latency at rate p50 ${fmt(l.p50, 3)} ms, p99 ${fmt(l.p99, 3)} ms, max ${fmt(l.max, 2)} ms ` +
    `(CPU ${fmt(run.latencyCpuUsPerEvent, 1)} us/event, schedule lag p99 ${fmt(run.scheduleLagP99Ms, 2)} ms); ` +
    `RSS idle ${fmt(run.rssIdleMb, 1)} MB, end ${fmt(run.rssEndMb, 1)} MB, peak ${fmt(run.maxRssMb, 1)} MB`
  );
}

function summarize(runs: InProcessRun[], side: Side) {
  const mine = runs.filter(run => run.side === side);
  const med = (pick: (run: InProcessRun) => number, digits: number): number =>
    round(median(mine.map(pick)), digits);
  return {
    eventsPerSecond: med(r => r.eventsPerSecond, 0),
    cpuUsPerEvent: med(r => r.cpuUsPerEvent, 2),
    latencyMs: {
      p50: med(r => r.latencyMs.p50, 3),
      p99: med(r => r.latencyMs.p99, 3),
      max: med(r => r.latencyMs.max, 2),
      mean: med(r => r.latencyMs.mean, 3),
    },
    latencyCpuUsPerEvent: med(r => r.latencyCpuUsPerEvent, 1),
    rssIdleMb: med(r => r.rssIdleMb, 1),
    rssEndMb: med(r => r.rssEndMb, 1),
    maxRssMb: med(r => r.maxRssMb, 1),
  };
}
type Summary = ReturnType<typeof summarize>;

async function main(): Promise<void> {
  const params = readParams();
  log(
    `${SCENARIO}: ${params.reps} repetitions per side; throughput ${fmt(params.events)} events (+${fmt(params.warmup)} warm-up) in batches of ${fmt(params.batch)}; latency ${fmt(params.rate)} events/s for ${params.seconds} s (+${params.warmupSeconds} s); ${PAYLOAD_BYTES} B JSON data; sides ${params.sides.join(', ')}`,
  );
  const onSignal = (): void => {
    killAllChildren();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const machine = machineInfo('n/a (no Redis in this scenario)');
  log(`${machine.cpuCount} x ${machine.cpuModel}, node ${machine.node}`);
  const runs: InProcessRun[] = [];
  try {
    for (let rep = 1; rep <= params.reps; rep++) {
      const order = rotatedOrder(params.sides, rep);
      for (const [index, side] of order.entries()) {
        log(`repetition ${rep}/${params.reps}, ${LABEL[side]}...`);
        const run = await runSide(side, rep, index + 1, params);
        runs.push(run);
        log(`  ${describe(run)}`);
      }
    }
  } finally {
    killAllChildren();
  }

  const medians: Partial<Record<Side, Summary>> = {};
  for (const side of params.sides) medians[side] = summarize(runs, side);
  const base = medians.baseline;
  const ratioOf = (side: Side): number | undefined => {
    const s = medians[side];
    return s && base
      ? round(s.eventsPerSecond / base.eventsPerSecond, 3)
      : undefined;
  };
  const paired = (side: Side): number[] =>
    Array.from({ length: params.reps }, (_, i) => {
      const o = runs.find(r => r.rep === i + 1 && r.side === side);
      const b = runs.find(r => r.rep === i + 1 && r.side === 'baseline');
      return o && b ? round(o.eventsPerSecond / b.eventsPerSecond, 3) : NaN;
    }).filter(Number.isFinite);

  const col = (pick: (s: Summary) => string): string[] =>
    params.sides.map(side => pick(medians[side]!));
  console.log('');
  console.log(
    `${SCENARIO} (${params.reps} reps; ${fmt(params.events)} events per throughput phase; latency at ${fmt(params.rate)} ev/s for ${params.seconds} s; medians)`,
  );
  console.log(
    table(
      ['', ...params.sides.map(s => LABEL[s])],
      [
        ['events/s', ...col(s => fmt(s.eventsPerSecond))],
        ['CPU per event, us', ...col(s => fmt(s.cpuUsPerEvent, 2))],
        ['latency p50, ms', ...col(s => fmt(s.latencyMs.p50, 3))],
        ['latency p99, ms', ...col(s => fmt(s.latencyMs.p99, 3))],
        ['latency max, ms', ...col(s => fmt(s.latencyMs.max, 2))],
        ['RSS at end, MB', ...col(s => fmt(s.rssEndMb, 1))],
        ['RSS peak, MB', ...col(s => fmt(s.maxRssMb, 1))],
        [
          'events/s / baseline per rep',
          ...params.sides.map(side => paired(side).join(' ')),
        ],
      ],
    ),
  );
  console.log('');

  const ratio = ratioOf('ours');
  // Events per CPU second, ours / baseline: steadier than wall-clock throughput on a shared machine.
  const cpuRatioOf = (side: Side): number | undefined => {
    const s = medians[side];
    return s && base
      ? round(base.cpuUsPerEvent / s.cpuUsPerEvent, 3)
      : undefined;
  };
  const result = {
    scenario: SCENARIO,
    description:
      'In-process events in one Nest application context per process, 1 KB JSON data: the event bus on its memory transport (publish -> @OnEvent, default validation; and with a class-validator DTO registered for the type) against @nestjs/event-emitter (EventEmitter2.emit -> @OnEvent). Throughput in batches (each batch of publish promises awaited, then one setImmediate), latency from the creation of the data to the handler call at a fixed rate.',
    date: new Date().toISOString(),
    machine,
    params: {
      reps: params.reps,
      quick: params.quick,
      events: params.events,
      warmup: params.warmup,
      batch: params.batch,
      rate: params.rate,
      seconds: params.seconds,
      warmupSeconds: params.warmupSeconds,
      window: params.window,
      payloadBytes: PAYLOAD_BYTES,
      eventType: EVENT_TYPE,
      sides: params.sides,
      childNodeArgs: params.childNodeArgs,
      before: BEFORE,
      custom: params.custom,
    },
    runs: runs.map(run => ({
      ...run,
      eventsPerSecond: round(run.eventsPerSecond),
      cpuUsPerEvent: round(run.cpuUsPerEvent, 3),
      latencyMs: {
        p50: round(run.latencyMs.p50, 4),
        p99: round(run.latencyMs.p99, 4),
        max: round(run.latencyMs.max, 3),
        mean: round(run.latencyMs.mean, 4),
      },
      latencyCpuUsPerEvent: round(run.latencyCpuUsPerEvent, 2),
      scheduleLagP99Ms: round(run.scheduleLagP99Ms, 3),
      rssIdleMb: round(run.rssIdleMb, 1),
      rssEndMb: round(run.rssEndMb, 1),
      maxRssMb: round(run.maxRssMb, 1),
      heapUsedMb: round(run.heapUsedMb, 1),
    })),
    median: medians,
    ratio,
    ratioWithSchema: ratioOf('ours-schema'),
    ratioBefore: ratioOf('ours-before'),
    cpuRatio: cpuRatioOf('ours'),
    cpuRatioWithSchema: cpuRatioOf('ours-schema'),
    cpuRatioBefore: cpuRatioOf('ours-before'),
    pairedRatios: {
      ours: paired('ours'),
      'ours-schema': paired('ours-schema'),
      'ours-before': paired('ours-before'),
    },
    target: {
      ratio: TARGET_RATIO,
      met: ratio === undefined ? undefined : ratio >= TARGET_RATIO,
      issueReference: ISSUE_REFERENCE,
    },
  };
  mkdirSync(RESULTS, { recursive: true });
  const file = join(
    RESULTS,
    params.custom
      ? `${SCENARIO}.custom.tmp.json`
      : params.quick
        ? `${SCENARIO}.quick.tmp.json`
        : `${SCENARIO}.json`,
  );
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`wrote ${file}`);
}

main().catch(error => {
  console.error(`[bench] failed: ${(error as Error).stack ?? String(error)}`);
  killAllChildren();
  process.exitCode = 1;
});
