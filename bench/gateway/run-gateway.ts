/**
 * Gateway fan-out beside plain socket.io + @socket.io/redis-adapter, in one run.
 *
 * Per side and repetition (fresh processes every time): a server child, a
 * publisher child and 4 client children, on one throwaway redis-server. Both
 * sides' processes are up together; the measured steps of the two sides run
 * in turn, side by side (who goes first alternates), so that background load
 * on a shared machine hits both alike. It measures
 *   1. connect time: all sockets connect at once (a bounded number in flight
 *      per client process); per socket from `io()` to the ack of `subscribe`;
 *   2. server memory per socket: RSS (after a full GC) before and after the
 *      sockets connected, the difference over the number of sockets;
 *   3. latency at a fixed moderate rate: publish → receipt, p50/p99;
 *   4. the highest sustained deliveries/s: a ramp of publish rates; a step
 *      keeps up when >= 95 % of the deliveries arrived, p99 < 1 s, and latency
 *      did not grow by more than 100 ms from the first quarter of the step to
 *      the last (a growing backlog). A failing step is run again once; after a
 *      second failure the ramp bisects twice between the last passing rate
 *      and the failing one.
 *
 * npm run bench:gateway [-- --quick]
 * Flags (node dist/bench/gateway/run-gateway.js ...): --quick, --reps=N,
 * --sockets=N, --only=ours|baseline, --rates=a,b,c (fixed steps, no ramp),
 * --step-ms=N, --latency-rate=N, --cpu-prof=DIR (server child under
 * node --cpu-prof). Any flag but --quick writes gateway.custom.tmp.json.
 */
import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild, killAllChildren } from '../lib/child.js';
import { now, type BenchMessage } from '../lib/ipc.js';
import { fmt, median, round, table } from '../lib/stats.js';
import { DATA_BYTES, Histogram, type SerializedHistogram } from './common.js';
import { benchLifecycle } from '../lib/redis-admin.js';
import { flag, numberFlag } from '../lib/flags.js';

const HERE = dirname(fileURLToPath(import.meta.url));
// dist/bench/gateway → the repository's bench/results.
const RESULTS = join(HERE, '..', '..', '..', 'bench', 'results');
const TARGET_THROUGHPUT_RATIO = 1.0;
const TARGET_MEMORY_RATIO = 1.2;

type Side = 'ours' | 'baseline';
const SCRIPTS: Record<Side, { server: string; publisher: string }> = {
  ours: { server: 'server-ours.js', publisher: 'publisher-ours.js' },
  baseline: {
    server: 'server-baseline.js',
    publisher: 'publisher-baseline.js',
  },
};
const LABEL: Record<Side, string> = {
  ours: 'ours (gateway)',
  baseline: 'baseline (socket.io + redis-adapter)',
};

const quick = process.argv.includes('--quick');
const only = flag('only');
if (only !== undefined && only !== 'ours' && only !== 'baseline')
  throw new Error(`--only=${only}: expected ours or baseline`);
const cpuProf = flag('cpu-prof');
const fixedRates = flag('rates')
  ?.split(',')
  .map(Number)
  .filter(r => r > 0);
const clientKind = flag('client') ?? 'light';
if (clientKind !== 'light' && clientKind !== 'socket.io')
  throw new Error(`--client=${clientKind}: expected light or socket.io`);
const custom = process.argv
  .slice(2)
  .some(arg => arg !== '--quick' && !arg.startsWith('--reps='));

const sockets = Math.round(numberFlag('sockets', 2000));
const params = {
  mode: quick ? 'quick' : 'full',
  reps: Math.round(numberFlag('reps', quick ? 2 : 5)),
  sockets,
  /**
   * The load generator: `light` (`LightSocket`, the same wire protocol at a
   * fraction of socket.io-client's CPU) or `socket.io` (socket.io-client).
   */
  clientKind,
  clientProcesses: Math.round(numberFlag('client-processes', 2)),
  /** Handshakes in flight per client process while connecting. */
  connectConcurrency: 25,
  /** Events/s of the latency phase (deliveries/s = this x sockets). */
  latencyRate: numberFlag('latency-rate', 10_000 / sockets),
  latencyMs: quick ? 3000 : 5000,
  warmupMs: quick ? 2000 : 3000,
  stepMs: Math.round(numberFlag('step-ms', quick ? 3000 : 4000)),
  /** Time after the last publish of a step before its receipts are counted. */
  graceMs: 1500,
  /** First ramp step, in deliveries/s; later repetitions start at 0.6 x the lowest sustained figure so far. */
  rampStartDeliveries: 15_000,
  rampFactor: 1.25,
  bisections: quick ? 1 : 2,
  maxSteps: 16,
  keepUp: { minReceivedRatio: 0.95, maxP99Ms: 1000, maxGrowthMs: 100 },
  fixedRates,
  sides: (only ? [only] : ['ours', 'baseline']) as Side[],
  dataBytes: DATA_BYTES,
};

const log = (line: string): void => console.log(`[gateway] ${line}`);
const sleep = (ms: number): Promise<void> =>
  new Promise(resolve => setTimeout(resolve, Math.max(0, ms)));

interface StepResult {
  phase: number;
  rate: number;
  /** rate x sockets. */
  targetDeliveriesPerSec: number;
  sent: number;
  expected: number;
  received: number;
  receivedRatio: number;
  /** Receipts per second over the step's publish window (its first second left out). */
  deliveredPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** p50 of the events sent in the first and in the last quarter of the step. */
  firstQuarterP50Ms: number;
  lastQuarterP50Ms: number;
  keptUp: boolean;
  why: string;
  disconnects: number;
  /** CPU time per delivery over the step (publish window + grace), microseconds. */
  cpuUsPerDelivery: {
    server: number;
    clients: number;
    redis: number;
    publisherPerEvent: number;
    redisPerEvent: number;
  };
  /**
   * Share of one core each process used over the step (publish window +
   * grace): a client process near 1 would mean the clients, not the server,
   * set the pace.
   */
  coreShare: { server: number; clients: number[]; redis: number };
  publisher: { maxLagMs: number; maxInFlight: number; failures: number };
}

interface SideRun {
  side: Side;
  rep: number;
  order: number;
  sockets: number;
  connect: {
    totalMs: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    socketsPerSec: number;
    failed: number;
  };
  server: {
    rssBeforeMb: number;
    rssAfterMb: number;
    heapBeforeMb: number;
    heapAfterMb: number;
    rssPerSocketKb: number;
    heapPerSocketKb: number;
    rssEndMb: number;
    heapEndMb: number;
  };
  /** RSS of every process of the side at the end of the repetition, and its peak (MB). */
  processes: {
    server: ProcessMemory;
    publisher: ProcessMemory;
    clients: ProcessMemory[];
    /** redis-server, shared by both sides: RSS, and for the peak its used_memory_peak. */
    redis: ProcessMemory;
  };
  bytesPerEvent: number;
  latency: StepResult;
  steps: StepResult[];
  sustainedEventsPerSec: number;
  sustainedDeliveriesPerSec: number;
  peakDeliveredPerSec: number;
}

interface ProcessMemory {
  rssMb: number;
  maxRssMb: number;
}

/** The commit measured, and whether the library had uncommitted changes (the build is of the working tree). */
function gitState(): { commit: string; libsDirty: boolean } | undefined {
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, {
        cwd: join(HERE, '..', '..', '..'),
        encoding: 'utf8',
      }).trim();
    return {
      commit: git('rev-parse', '--short', 'HEAD'),
      libsDirty: git('status', '--porcelain', '--', 'libs').length > 0,
    };
  } catch {
    return undefined;
  }
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  ];
}

async function redisCpuUs(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

class SideHarness {
  private phaseNo = 0;
  /** Bytes of one event as a socket receives it (JSON of [name, payload]). */
  lastBytes = 0;

  constructor(
    readonly side: Side,
    private readonly server: BenchChild,
    private readonly publisher: BenchChild,
    private readonly clients: BenchChild[],
    private readonly admin: Redis,
  ) {}

  private async ask(
    child: BenchChild,
    message: BenchMessage,
    reply: string,
    timeoutMs = 30_000,
  ): Promise<BenchMessage> {
    const answer = child.waitFor(reply, timeoutMs);
    child.send(message);
    return answer;
  }

  private askClients(
    message: BenchMessage,
    reply: string,
    timeoutMs = 30_000,
  ): Promise<BenchMessage[]> {
    return Promise.all(
      this.clients.map(child => this.ask(child, message, reply, timeoutMs)),
    );
  }

  async memory(): Promise<{
    rssMb: number;
    maxRssMb: number;
    heapUsedMb: number;
    sockets: number;
  }> {
    const m = await this.ask(this.server, { kind: 'memory' }, 'memory');
    return {
      rssMb: Number(m.rssMb),
      maxRssMb: Number(m.maxRssMb),
      heapUsedMb: Number(m.heapUsedMb),
      sockets: Number(m.sockets),
    };
  }

  /** RSS now and at peak of the publisher and the client processes. */
  async otherMemory(): Promise<{
    publisher: ProcessMemory;
    clients: ProcessMemory[];
  }> {
    const [published, totals] = await Promise.all([
      this.ask(this.publisher, { kind: 'memory' }, 'memory'),
      this.askClients({ kind: 'totals' }, 'totals'),
    ]);
    const pick = (m: BenchMessage): ProcessMemory => ({
      rssMb: round(Number(m.rssMb), 1),
      maxRssMb: round(Number(m.maxRssMb), 1),
    });
    return { publisher: pick(published), clients: totals.map(pick) };
  }

  async connect(url: string): Promise<SideRun['connect']> {
    const replies = await this.askClients(
      { kind: 'connect', url, concurrency: params.connectConcurrency },
      'connected',
      120_000,
    );
    const failed = replies.reduce((n, r) => n + Number(r.failed), 0);
    if (failed > 0)
      throw new Error(
        `${this.side}: ${failed} sockets failed to connect, e.g. ${JSON.stringify(replies.flatMap(r => r.failures as string[]).slice(0, 3))}`,
      );
    const times = replies
      .flatMap(r => r.times as number[])
      .sort((a, b) => a - b);
    const totalMs =
      Math.max(...replies.map(r => Number(r.end))) -
      Math.min(...replies.map(r => Number(r.start)));
    return {
      totalMs,
      p50Ms: quantile(times, 0.5),
      p99Ms: quantile(times, 0.99),
      maxMs: times[times.length - 1],
      socketsPerSec: (times.length / totalMs) * 1000,
      failed,
    };
  }

  /** Waits until no receipt arrived for 500 ms (at most 20 s): the backlog of an overloaded step is gone. */
  async drain(): Promise<void> {
    const deadline = Date.now() + 20_000;
    let last = -1;
    while (Date.now() < deadline) {
      const totals = await this.askClients({ kind: 'totals' }, 'totals');
      const received = totals.reduce((n, t) => n + Number(t.received), 0);
      if (received === last) return;
      last = received;
      await sleep(500);
    }
  }

  async step(rate: number, durationMs: number): Promise<StepResult> {
    const phase = ++this.phaseNo;
    // Reset the CPU marks.
    await Promise.all([
      this.ask(this.server, { kind: 'cpu' }, 'cpu'),
      this.askClients({ kind: 'totals' }, 'totals'),
    ]);
    const redisBefore = await redisCpuUs(this.admin);
    const tBefore = now();
    const published = await this.ask(
      this.publisher,
      { kind: 'publish', phase, rate, durationMs },
      'published',
      durationMs + 60_000,
    );
    const t0 = Number(published.t0);
    const tLastSend = Number(published.tLastSend);
    await sleep(tLastSend + params.graceMs - now());
    const [stats, windows, serverCpu, totals, redisAfter] = await Promise.all([
      this.askClients({ kind: 'stats', phase }, 'stats'),
      this.askClients(
        {
          kind: 'window',
          from: t0 + Math.min(1000, durationMs / 4),
          to: tLastSend,
        },
        'window',
      ),
      this.ask(this.server, { kind: 'cpu' }, 'cpu'),
      this.askClients({ kind: 'totals' }, 'totals'),
      redisCpuUs(this.admin),
    ]);
    const wallUs = (now() - tBefore) * 1000;
    const all = new Histogram();
    const quarters = [0, 1, 2, 3].map(() => new Histogram());
    let received = 0;
    for (const s of stats) {
      received += Number(s.received);
      (s.quarters as SerializedHistogram[]).forEach((h, i) => {
        all.merge(h);
        quarters[i].merge(h);
      });
      this.lastBytes = Number(s.sampleBytes) || this.lastBytes;
    }
    const sent = Number(published.count);
    const expected = sent * params.sockets;
    const windowReceived = windows.reduce((n, w) => n + Number(w.received), 0);
    const windowMs = Number(windows[0].ms);
    const disconnects = totals.reduce((n, t) => n + Number(t.disconnects), 0);
    const receivedRatio = received / expected;
    const p99Ms = all.quantile(0.99);
    const firstQuarterP50Ms = quarters[0].quantile(0.5);
    const lastQuarterP50Ms = quarters[3].quantile(0.5);
    const { minReceivedRatio, maxP99Ms, maxGrowthMs } = params.keepUp;
    const problems: string[] = [];
    if (receivedRatio < minReceivedRatio)
      problems.push(`received ${fmt(receivedRatio * 100, 1)}%`);
    if (!(p99Ms < maxP99Ms)) problems.push(`p99 ${fmt(p99Ms)} ms`);
    if (!(lastQuarterP50Ms - firstQuarterP50Ms <= maxGrowthMs))
      problems.push(
        `p50 grew ${fmt(firstQuarterP50Ms)} → ${fmt(lastQuarterP50Ms)} ms`,
      );
    if (disconnects > 0) problems.push(`${disconnects} disconnects`);
    if (Number(published.failures) > 0)
      problems.push(`${String(published.failures)} publishes failed`);
    const clientCpu = totals.reduce((n, t) => n + Number(t.cpuUs), 0);
    return {
      phase,
      rate,
      targetDeliveriesPerSec: rate * params.sockets,
      sent,
      expected,
      received,
      receivedRatio,
      deliveredPerSec: windowMs > 0 ? (windowReceived / windowMs) * 1000 : NaN,
      p50Ms: all.quantile(0.5),
      p99Ms,
      maxMs: all.max,
      meanMs: all.mean,
      firstQuarterP50Ms,
      lastQuarterP50Ms,
      keptUp: problems.length === 0,
      why: problems.join(', '),
      disconnects,
      cpuUsPerDelivery: {
        server: Number(serverCpu.cpuUs) / Math.max(1, received),
        clients: clientCpu / Math.max(1, received),
        redis: (redisAfter - redisBefore) / Math.max(1, received),
        publisherPerEvent: Number(published.cpuUs) / sent,
        redisPerEvent: (redisAfter - redisBefore) / sent,
      },
      coreShare: {
        server: round(Number(serverCpu.cpuUs) / wallUs, 3),
        clients: totals.map(t => round(Number(t.cpuUs) / wallUs, 3)),
        redis: round((redisAfter - redisBefore) / wallUs, 3),
      },
      publisher: {
        maxLagMs: Number(published.maxLagMs),
        maxInFlight: Number(published.maxInFlight),
        failures: Number(published.failures),
      },
    };
  }
}

function describeStep(s: StepResult): string {
  return (
    `${fmt(s.rate, 1)} ev/s = ${fmt(s.targetDeliveriesPerSec)} deliveries/s: got ${fmt(s.receivedRatio * 100, 1)}%, ` +
    `${fmt(s.deliveredPerSec)} delivered/s, p50 ${fmt(s.p50Ms, 1)} ms, p99 ${fmt(s.p99Ms, 1)} ms ` +
    `(q1 p50 ${fmt(s.firstQuarterP50Ms, 1)}, q4 p50 ${fmt(s.lastQuarterP50Ms, 1)}), ` +
    `server ${fmt(s.cpuUsPerDelivery.server, 2)} µs/delivery, clients ${fmt(s.cpuUsPerDelivery.clients, 2)} µs/delivery; ` +
    `cores: server ${fmt(s.coreShare.server, 2)}, clients ${s.coreShare.clients.map(c => fmt(c, 2)).join('+')}, redis ${fmt(s.coreShare.redis, 2)}` +
    (s.keptUp ? ' — keeps up' : ` — FALLS BEHIND (${s.why})`)
  );
}

/**
 * The ramp of one side, one step at a time: up by `rampFactor` while steps keep
 * up; a failing step is run again once (the machine is shared and noisy) and
 * only a second failure counts; then `bisections` steps between the last
 * passing and the failing rate. `--rates` replaces it with a fixed list.
 */
class Ramp {
  readonly steps: StepResult[] = [];
  private rate: number;
  private pass?: number;
  private fail?: number;
  private retrying = false;
  private bisectionsLeft = params.bisections;
  private fixed?: number[];

  constructor(startRate: number) {
    this.rate = startRate;
    this.fixed = params.fixedRates ? [...params.fixedRates] : undefined;
  }

  /** The rate of the next step, or undefined when the ramp is over. */
  next(): number | undefined {
    if (this.fixed) return this.fixed[0];
    if (this.steps.length >= params.maxSteps) return undefined;
    if (this.fail !== undefined && this.pass !== undefined) {
      return this.bisectionsLeft > 0
        ? Math.sqrt(this.pass * this.fail)
        : undefined;
    }
    return this.rate;
  }

  record(result: StepResult): void {
    this.steps.push(result);
    if (this.fixed) {
      this.fixed.shift();
      return;
    }
    if (this.fail !== undefined && this.pass !== undefined) {
      this.bisectionsLeft--;
      if (result.keptUp) this.pass = result.rate;
      else this.fail = result.rate;
      return;
    }
    if (result.keptUp) {
      this.pass = result.rate;
      this.rate = result.rate * params.rampFactor;
      this.retrying = false;
      return;
    }
    if (!this.retrying) {
      this.retrying = true;
      return;
    }
    this.retrying = false;
    if (this.pass === undefined) this.rate /= params.rampFactor ** 2;
    else this.fail = result.rate;
  }

  get retryingNext(): boolean {
    return this.retrying;
  }

  get sustained(): StepResult | undefined {
    const kept = this.steps.filter(s => s.keptUp);
    if (params.fixedRates) {
      return kept.reduce<StepResult | undefined>(
        (b, s) => (!b || s.rate > b.rate ? s : b),
        undefined,
      );
    }
    return kept.find(s => s.rate === this.pass);
  }
}

interface LiveSide {
  side: Side;
  harness: SideHarness;
  children: BenchChild[];
  url: string;
  order: number;
  connect?: SideRun['connect'];
  before?: Awaited<ReturnType<SideHarness['memory']>>;
  after?: Awaited<ReturnType<SideHarness['memory']>>;
  latency?: StepResult;
  ramp?: Ramp;
}

async function startSide(
  side: Side,
  order: number,
  rep: number,
  redisUrl: string,
  admin: Redis,
): Promise<LiveSide> {
  const env = { REDIS_URL: redisUrl };
  const children: BenchChild[] = [];
  const serverArgs = [
    '--expose-gc',
    ...(cpuProf
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${resolve(cpuProf)}`,
          `--cpu-prof-name=server-${side}-rep${rep}.cpuprofile`,
        ]
      : []),
  ];
  const server = BenchChild.start(
    `${side} server`,
    join(HERE, SCRIPTS[side].server),
    env,
    serverArgs,
  );
  children.push(server);
  const publisher = BenchChild.start(
    `${side} publisher`,
    join(HERE, SCRIPTS[side].publisher),
    env,
  );
  children.push(publisher);
  const perProcess = Math.ceil(params.sockets / params.clientProcesses);
  const clients = Array.from({ length: params.clientProcesses }, (_, i) => {
    const n = Math.min(perProcess, params.sockets - i * perProcess);
    const child = BenchChild.start(
      `${side} clients ${i}`,
      join(HERE, 'clients.js'),
      { CLIENT_INDEX: String(i), COUNT: String(n), CLIENT_KIND: clientKind },
    );
    children.push(child);
    return child;
  });
  const [ready] = await Promise.all(
    children.map(child => child.waitFor('ready', 30_000)),
  );
  return {
    side,
    order,
    children,
    url: `http://127.0.0.1:${String(ready.port)}`,
    harness: new SideHarness(side, server, publisher, clients, admin),
  };
}

async function connectSide(live: LiveSide): Promise<void> {
  const h = live.harness;
  live.before = await h.memory();
  live.connect = await h.connect(live.url);
  await sleep(1000);
  live.after = await h.memory();
  if (live.after.sockets !== params.sockets) {
    throw new Error(
      `${live.side}: server has ${live.after.sockets} sockets, expected ${params.sockets}`,
    );
  }
  const c = live.connect;
  log(
    `  ${live.side}: ${fmt(params.sockets)} sockets connected+subscribed in ${fmt(c.totalMs)} ms (${fmt(c.socketsPerSec)}/s; ` +
      `per socket p50 ${fmt(c.p50Ms, 1)} ms, p99 ${fmt(c.p99Ms, 1)} ms); server RSS ${fmt(live.before.rssMb, 1)} → ${fmt(live.after.rssMb, 1)} MB ` +
      `= ${fmt(perSocketKb(live.before.rssMb, live.after.rssMb), 1)} KB/socket (heap ${fmt(perSocketKb(live.before.heapUsedMb, live.after.heapUsedMb), 1)} KB/socket)`,
  );
}

function perSocketKb(beforeMb: number, afterMb: number): number {
  return ((afterMb - beforeMb) * 1024) / params.sockets;
}

async function runStep(
  live: LiveSide,
  label: string,
  rate: number,
  durationMs: number,
): Promise<StepResult> {
  const result = await live.harness.step(rate, durationMs);
  log(`  ${live.side} ${label}: ${describeStep(result)}`);
  if (!result.keptUp) await live.harness.drain();
  else await sleep(300);
  return result;
}

/**
 * One repetition: both sides' processes up at once (idle sockets cost next to
 * nothing), connected one after the other, then every measured step of one
 * side right beside the same step of the other, so that background load on
 * the shared machine hits both alike.
 */
async function runRep(
  rep: number,
  order: Side[],
  redisUrl: string,
  admin: Redis,
  startRate: number,
): Promise<SideRun[]> {
  await admin.flushall();
  const live: LiveSide[] = [];
  try {
    for (const [index, side] of order.entries()) {
      live.push(await startSide(side, index + 1, rep, redisUrl, admin));
    }
    for (const side of live) await connectSide(side);
    for (const side of live) {
      await runStep(side, 'warm-up', params.latencyRate, params.warmupMs);
    }
    for (const side of [...live].reverse()) {
      side.latency = await runStep(
        side,
        'latency',
        params.latencyRate,
        params.latencyMs,
      );
    }
    for (const side of live) side.ramp = new Ramp(startRate);
    // Round by round: each side that is not done runs its next step; who goes first alternates.
    for (let round = 0; ; round++) {
      const turn = round % 2 === 0 ? live : [...live].reverse();
      let ran = false;
      for (const side of turn) {
        const ramp = side.ramp!;
        const rate = ramp.next();
        if (rate === undefined) continue;
        ran = true;
        const result = await runStep(
          side,
          `step ${ramp.steps.length + 1}`,
          rate,
          params.stepMs,
        );
        ramp.record(result);
        if (ramp.retryingNext) log(`  ${side.side}: running that step again`);
      }
      if (!ran) break;
    }
    const runs: SideRun[] = [];
    for (const side of live) {
      const end = await side.harness.memory();
      const others = await side.harness.otherMemory();
      const redisMemory = await admin.info('memory');
      const redisField = (name: string): number =>
        round(
          Number(
            new RegExp(`^${name}:([0-9]+)`, 'm').exec(redisMemory)?.[1] ?? NaN,
          ) /
            1024 /
            1024,
          1,
        );
      const ramp = side.ramp!;
      const best = ramp.sustained;
      const run: SideRun = {
        side: side.side,
        rep,
        order: side.order,
        sockets: params.sockets,
        connect: side.connect!,
        server: {
          rssBeforeMb: side.before!.rssMb,
          rssAfterMb: side.after!.rssMb,
          heapBeforeMb: side.before!.heapUsedMb,
          heapAfterMb: side.after!.heapUsedMb,
          rssPerSocketKb: perSocketKb(side.before!.rssMb, side.after!.rssMb),
          heapPerSocketKb: perSocketKb(
            side.before!.heapUsedMb,
            side.after!.heapUsedMb,
          ),
          rssEndMb: end.rssMb,
          heapEndMb: end.heapUsedMb,
        },
        processes: {
          server: {
            rssMb: round(end.rssMb, 1),
            maxRssMb: round(end.maxRssMb, 1),
          },
          ...others,
          redis: {
            rssMb: redisField('used_memory_rss'),
            maxRssMb: redisField('used_memory_peak'),
          },
        },
        bytesPerEvent: side.harness.lastBytes,
        latency: side.latency!,
        steps: ramp.steps,
        sustainedEventsPerSec: best?.rate ?? 0,
        sustainedDeliveriesPerSec: best?.targetDeliveriesPerSec ?? 0,
        peakDeliveredPerSec: Math.max(
          ...ramp.steps.map(s => s.deliveredPerSec),
        ),
      };
      log(
        `  ${side.side} rep ${rep}: sustained ${fmt(run.sustainedDeliveriesPerSec)} deliveries/s (${fmt(run.sustainedEventsPerSec, 1)} ev/s x ${params.sockets}), ` +
          `peak delivered ${fmt(run.peakDeliveredPerSec)}/s; latency p50 ${fmt(run.latency.p50Ms, 1)} ms p99 ${fmt(run.latency.p99Ms, 1)} ms; ` +
          `${fmt(run.server.rssPerSocketKb, 1)} KB RSS/socket; server RSS at end ${fmt(end.rssMb, 1)} MB`,
      );
      runs.push(run);
    }
    return runs;
  } finally {
    // Servers first: 2,000 client sockets closing must not make them do presence work meanwhile.
    await Promise.all(live.map(side => side.children[0].stop()));
    await Promise.all(
      live.flatMap(side => side.children.slice(1).map(child => child.stop())),
    );
  }
}

function summarize(runs: SideRun[], side: Side) {
  const mine = runs.filter(run => run.side === side);
  const med = (pick: (run: SideRun) => number, digits: number): number =>
    round(median(mine.map(pick)), digits);
  return {
    runs: mine.length,
    sustainedDeliveriesPerSec: med(r => r.sustainedDeliveriesPerSec, 0),
    sustainedEventsPerSec: med(r => r.sustainedEventsPerSec, 2),
    peakDeliveredPerSec: med(r => r.peakDeliveredPerSec, 0),
    latencyP50Ms: med(r => r.latency.p50Ms, 2),
    latencyP99Ms: med(r => r.latency.p99Ms, 2),
    latencyMaxMs: med(r => r.latency.maxMs, 2),
    latencyServerCpuUsPerDelivery: med(
      r => r.latency.cpuUsPerDelivery.server,
      2,
    ),
    latencyClientCpuUsPerDelivery: med(
      r => r.latency.cpuUsPerDelivery.clients,
      2,
    ),
    latencyRedisCpuUsPerDelivery: med(r => r.latency.cpuUsPerDelivery.redis, 3),
    latencyPublisherCpuUsPerEvent: med(
      r => r.latency.cpuUsPerDelivery.publisherPerEvent,
      1,
    ),
    latencyRedisCpuUsPerEvent: med(
      r => r.latency.cpuUsPerDelivery.redisPerEvent,
      1,
    ),
    /** At the sustained step: server and redis CPU per delivery, and the busiest client process' share of a core. */
    sustainedServerCpuUsPerDelivery: med(
      r => sustainedStep(r)?.cpuUsPerDelivery.server ?? NaN,
      2,
    ),
    sustainedRedisCpuUsPerDelivery: med(
      r => sustainedStep(r)?.cpuUsPerDelivery.redis ?? NaN,
      3,
    ),
    sustainedServerCoreShare: med(
      r => sustainedStep(r)?.coreShare.server ?? NaN,
      2,
    ),
    sustainedBusiestClientCoreShare: med(
      r => Math.max(...(sustainedStep(r)?.coreShare.clients ?? [NaN])),
      2,
    ),
    rssPerSocketKb: med(r => r.server.rssPerSocketKb, 2),
    heapPerSocketKb: med(r => r.server.heapPerSocketKb, 2),
    rssBeforeMb: med(r => r.server.rssBeforeMb, 1),
    rssAfterMb: med(r => r.server.rssAfterMb, 1),
    rssEndMb: med(r => r.server.rssEndMb, 1),
    serverMaxRssMb: med(r => r.processes.server.maxRssMb, 1),
    publisherRssEndMb: med(r => r.processes.publisher.rssMb, 1),
    publisherMaxRssMb: med(r => r.processes.publisher.maxRssMb, 1),
    clientRssEndMb: med(r => median(r.processes.clients.map(c => c.rssMb)), 1),
    clientMaxRssMb: med(
      r => Math.max(...r.processes.clients.map(c => c.maxRssMb)),
      1,
    ),
    connectTotalMs: med(r => r.connect.totalMs, 0),
    connectP50Ms: med(r => r.connect.p50Ms, 2),
    connectP99Ms: med(r => r.connect.p99Ms, 2),
    bytesPerEvent: med(r => r.bytesPerEvent, 0),
  };
}

/** The ramp step a run's sustained figure comes from. */
function sustainedStep(run: SideRun): StepResult | undefined {
  return run.steps.find(s => s.keptUp && s.rate === run.sustainedEventsPerSec);
}

async function main(): Promise<void> {
  log(
    `${params.mode} run: ${params.reps} repetitions, ${fmt(params.sockets)} sockets in ${params.clientProcesses} client processes, ` +
      `~${DATA_BYTES} B data; latency at ${params.latencyRate} ev/s; steps ${params.stepMs} ms`,
  );
  const lifecycle = benchLifecycle(log);
  const started = Date.now();
  const loadAtStart = loadavg();
  log(
    `load average ${loadAtStart.map(l => l.toFixed(2)).join(' ')} (1/5/15 min); the figures mean most on an otherwise idle machine`,
  );
  try {
    const { url, admin: redis, machine } = await lifecycle.startRedis();
    const runs: SideRun[] = [];
    for (let rep = 1; rep <= params.reps; rep++) {
      const order: Side[] =
        rep % 2 === 1 ? params.sides : [...params.sides].reverse();
      // Both sides of a repetition start their ramp at the same rate: the first
      // at rampStartDeliveries, later ones a little under the median so far.
      const sustainedSoFar = runs
        .map(r => r.sustainedEventsPerSec)
        .filter(r => r > 0);
      const startRate =
        sustainedSoFar.length > 0
          ? Math.max(1, median(sustainedSoFar) * 0.75)
          : params.rampStartDeliveries / params.sockets;
      log(
        `repetition ${rep}/${params.reps}: ${order.map(side => LABEL[side]).join(', then ')}; ramps from ${fmt(startRate, 1)} ev/s`,
      );
      runs.push(...(await runRep(rep, order, url, redis, startRate)));
    }
    const summary = Object.fromEntries(
      params.sides.map(side => [side, summarize(runs, side)]),
    ) as Partial<Record<Side, ReturnType<typeof summarize>>>;
    const ours = summary.ours;
    const base = summary.baseline;
    const ratios =
      ours && base
        ? {
            sustainedDeliveriesPerSec: round(
              ours.sustainedDeliveriesPerSec / base.sustainedDeliveriesPerSec,
              3,
            ),
            peakDeliveredPerSec: round(
              ours.peakDeliveredPerSec / base.peakDeliveredPerSec,
              3,
            ),
            latencyP50: round(ours.latencyP50Ms / base.latencyP50Ms, 3),
            latencyP99: round(ours.latencyP99Ms / base.latencyP99Ms, 3),
            latencyMax: round(ours.latencyMaxMs / base.latencyMaxMs, 3),
            serverCpuPerDelivery: round(
              ours.latencyServerCpuUsPerDelivery /
                base.latencyServerCpuUsPerDelivery,
              3,
            ),
            sustainedServerCpuPerDelivery: round(
              ours.sustainedServerCpuUsPerDelivery /
                base.sustainedServerCpuUsPerDelivery,
              3,
            ),
            redisCpuPerDelivery: round(
              ours.latencyRedisCpuUsPerDelivery /
                base.latencyRedisCpuUsPerDelivery,
              3,
            ),
            serverRssEnd: round(ours.rssEndMb / base.rssEndMb, 3),
            rssPerSocket: round(ours.rssPerSocketKb / base.rssPerSocketKb, 3),
            connectTotal: round(ours.connectTotalMs / base.connectTotalMs, 3),
            connectP50: round(ours.connectP50Ms / base.connectP50Ms, 3),
            connectP99: round(ours.connectP99Ms / base.connectP99Ms, 3),
          }
        : undefined;
    const pairedRatios =
      ours && base
        ? Array.from({ length: params.reps }, (_, i) => {
            const o = runs.find(r => r.side === 'ours' && r.rep === i + 1)!;
            const b = runs.find(r => r.side === 'baseline' && r.rep === i + 1)!;
            return {
              rep: i + 1,
              sustained: round(
                o.sustainedDeliveriesPerSec / b.sustainedDeliveriesPerSec,
                3,
              ),
              peak: round(o.peakDeliveredPerSec / b.peakDeliveredPerSec, 3),
              rssPerSocket: round(
                o.server.rssPerSocketKb / b.server.rssPerSocketKb,
                3,
              ),
              serverCpuPerDelivery: round(
                o.latency.cpuUsPerDelivery.server /
                  b.latency.cpuUsPerDelivery.server,
                3,
              ),
              latencyP50: round(o.latency.p50Ms / b.latency.p50Ms, 3),
              latencyP99: round(o.latency.p99Ms / b.latency.p99Ms, 3),
              latencyMax: round(o.latency.maxMs / b.latency.maxMs, 3),
            };
          })
        : undefined;
    const medianPairedRatio = pairedRatios && {
      sustained: median(pairedRatios.map(p => p.sustained)),
      peak: median(pairedRatios.map(p => p.peak)),
      rssPerSocket: median(pairedRatios.map(p => p.rssPerSocket)),
      serverCpuPerDelivery: median(
        pairedRatios.map(p => p.serverCpuPerDelivery),
      ),
      latencyP99: median(pairedRatios.map(p => p.latencyP99)),
    };
    const ratio = ratios?.sustainedDeliveriesPerSec;
    const rssPerSocketRatio = ratios?.rssPerSocket;
    const targets = ratios
      ? {
          throughput: {
            target: `>= ${TARGET_THROUGHPUT_RATIO}`,
            ratio: ratios.sustainedDeliveriesPerSec,
            met: ratios.sustainedDeliveriesPerSec >= TARGET_THROUGHPUT_RATIO,
          },
          memory: {
            target: `<= ${TARGET_MEMORY_RATIO}`,
            ratio: ratios.rssPerSocket,
            met: ratios.rssPerSocket <= TARGET_MEMORY_RATIO,
          },
        }
      : undefined;
    mkdirSync(RESULTS, { recursive: true });
    const file = join(
      RESULTS,
      custom
        ? 'gateway.custom.tmp.json'
        : quick
          ? 'gateway.quick.json'
          : 'gateway.json',
    );
    writeFileSync(
      file,
      JSON.stringify(
        {
          scenario: 'gateway',
          mode: params.mode,
          date: new Date().toISOString(),
          git: gitState(),
          durationS: round((Date.now() - started) / 1000),
          machine,
          params,
          runs,
          median: summary,
          /** Headline: median sustained deliveries/s, ours / baseline. */
          ratio,
          /** Median server RSS per socket, ours / baseline. */
          rssPerSocketRatio,
          ratios,
          pairedRatios,
          medianPairedRatio,
          targets,
          loadAverage: { atStart: loadAtStart, atEnd: loadavg() },
        },
        null,
        2,
      ),
    );
    const row = (
      name: string,
      pick: (s: ReturnType<typeof summarize>) => number,
      digits: number,
      r?: number,
    ): string[] => [
      name,
      ours ? fmt(pick(ours), digits) : '-',
      base ? fmt(pick(base), digits) : '-',
      r === undefined ? '' : fmt(r, 2),
    ];
    console.log(
      `\nGateway fan-out, ${fmt(params.sockets)} sockets in one room, medians of ${params.reps} repetitions:\n`,
    );
    console.log(
      table(
        ['', 'ours', 'baseline', 'ours/baseline'],
        [
          row(
            'sustained deliveries/s',
            s => s.sustainedDeliveriesPerSec,
            0,
            ratios?.sustainedDeliveriesPerSec,
          ),
          row('  (events/s)', s => s.sustainedEventsPerSec, 1),
          row(
            'peak delivered/s (overload)',
            s => s.peakDeliveredPerSec,
            0,
            ratios?.peakDeliveredPerSec,
          ),
          row(
            `latency p50 at ${params.latencyRate} ev/s, ms`,
            s => s.latencyP50Ms,
            1,
            ratios?.latencyP50,
          ),
          row(
            `latency p99 at ${params.latencyRate} ev/s, ms`,
            s => s.latencyP99Ms,
            1,
            ratios?.latencyP99,
          ),
          row(
            'server CPU µs/delivery (latency phase)',
            s => s.latencyServerCpuUsPerDelivery,
            2,
            ratios?.serverCpuPerDelivery,
          ),
          row(
            `latency max at ${params.latencyRate} ev/s, ms`,
            s => s.latencyMaxMs,
            1,
            ratios?.latencyMax,
          ),
          row(
            'clients CPU µs/delivery (latency phase)',
            s => s.latencyClientCpuUsPerDelivery,
            2,
          ),
          row(
            'redis CPU µs/delivery (latency phase)',
            s => s.latencyRedisCpuUsPerDelivery,
            3,
            ratios?.redisCpuPerDelivery,
          ),
          row(
            'server CPU µs/delivery (sustained step)',
            s => s.sustainedServerCpuUsPerDelivery,
            2,
            ratios?.sustainedServerCpuPerDelivery,
          ),
          row(
            'server / busiest client process, cores (sustained step)',
            s => s.sustainedServerCoreShare,
            2,
          ),
          row('', s => s.sustainedBusiestClientCoreShare, 2),
          row(
            'server RSS per socket, KB',
            s => s.rssPerSocketKb,
            1,
            ratios?.rssPerSocket,
          ),
          row('server heap per socket, KB', s => s.heapPerSocketKb, 1),
          row('server RSS before / after connect, MB', s => s.rssBeforeMb, 1),
          row('', s => s.rssAfterMb, 1),
          row('server RSS end / peak, MB', s => s.rssEndMb, 1),
          row('', s => s.serverMaxRssMb, 1),
          row('publisher RSS end / peak, MB', s => s.publisherRssEndMb, 1),
          row('', s => s.publisherMaxRssMb, 1),
          row('client process RSS end / peak, MB', s => s.clientRssEndMb, 1),
          row('', s => s.clientMaxRssMb, 1),
          row(
            'connect all sockets, ms',
            s => s.connectTotalMs,
            0,
            ratios?.connectTotal,
          ),
          row(
            'connect per socket p50, ms',
            s => s.connectP50Ms,
            1,
            ratios?.connectP50,
          ),
          row(
            'connect per socket p99, ms',
            s => s.connectP99Ms,
            1,
            ratios?.connectP99,
          ),
          row('bytes per event to a socket', s => s.bytesPerEvent, 0),
        ],
      ),
    );
    if (pairedRatios && medianPairedRatio)
      console.log(
        `\nours/baseline per repetition: sustained ${pairedRatios.map(p => p.sustained).join(' ')} (median ${fmt(medianPairedRatio.sustained, 2)}); ` +
          `peak delivered ${pairedRatios.map(p => p.peak).join(' ')} (median ${fmt(medianPairedRatio.peak, 2)}); ` +
          `RSS/socket ${pairedRatios.map(p => p.rssPerSocket).join(' ')} (median ${fmt(medianPairedRatio.rssPerSocket, 2)})`,
      );
    if (targets) {
      console.log(
        `Targets: deliveries/s ratio ${targets.throughput.target}: ${targets.throughput.met ? 'met' : 'NOT met'} (${fmt(targets.throughput.ratio, 2)}); ` +
          `RSS/socket ratio ${targets.memory.target}: ${targets.memory.met ? 'met' : 'NOT met'} (${fmt(targets.memory.ratio, 2)}).`,
      );
    }
    log(`wrote ${file} (${fmt((Date.now() - started) / 1000)} s)`);
  } finally {
    await lifecycle.stop();
  }
}

main().catch(error => {
  killAllChildren();
  console.error(`gateway bench failed: ${(error as Error).stack}`);
  process.exit(1);
});
