/**
 * Producer memory during a Redis outage (issue 15). A producer publishes durable events
 * (XADD + PUBLISH) of ~10 KB at 1,000/s: 3 s warm-up, then redis-server is killed (SIGKILL)
 * and started again on the same port 20 s later, then 5 s more. The same producer with no
 * outage, for the same duration, is the baseline; both in every repetition (order alternating).
 * The producer reports process.memoryUsage() every 100 ms and its publish outcomes
 * (accepted / rejected for a full buffer / failed otherwise). Medians over the repetitions.
 *
 * npm run bench:outage [-- --runs=3 --rate=1000 --warmup=3 --outage=20 --after=5]
 */
import { Redis } from 'ioredis';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisServer } from '../../test/setup/redis-server.js';
import { BenchChild, killAllChildren } from '../lib/child.js';
import { intFlag, numberFlag } from '../lib/flags.js';
import { now, type BenchMessage } from '../lib/ipc.js';
import { prepareRedis } from '../lib/redis-admin.js';
import { fmt, machineInfo, median, round, table } from '../lib/stats.js';
import { STREAM_KEY } from '../durable/common.js';

const HERE = dirname(fileURLToPath(import.meta.url));
// dist/bench/outage → the repository's bench/results.
const RESULTS = join(HERE, '..', '..', '..', 'bench', 'results');
const PRODUCER = join(HERE, 'producer.js');
// The durable bench's bus consumer: `@OnEvent('bench.*', { durable: true })`, so the producer XADDs.
const CONSUMER = join(HERE, '..', 'durable', 'consumer-ours.js');

/** The bus defaults (README "Configuration"); the producer runs with them. */
const MAX_BUFFERED_PUBLISHES = 1000;
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/** `--runs N` as well as `--runs=N`. */
function runsFlag(): number {
  const at = process.argv.indexOf('--runs');
  if (at !== -1 && process.argv[at + 1] !== undefined) {
    process.argv.push(`--runs=${process.argv[at + 1]}`);
  }
  return intFlag('runs', 3);
}

const params = {
  runs: runsFlag(),
  rate: numberFlag('rate', 1000),
  warmupSeconds: numberFlag('warmup', 3),
  outageSeconds: numberFlag('outage', 20),
  afterSeconds: numberFlag('after', 5),
  dataBytes: 10 * 1024,
  sampleMs: 100,
  settleMs: 15_000,
  maxBufferedPublishes: MAX_BUFFERED_PUBLISHES,
  maxBufferedBytes: MAX_BUFFERED_BYTES,
};
const totalSeconds =
  params.warmupSeconds + params.outageSeconds + params.afterSeconds;

type Mode = 'outage' | 'baseline';

interface Sample {
  /** Seconds since the producer's first publish. */
  s: number;
  rssMb: number;
  maxRssMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  issued: number;
  accepted: number;
  rejected: number;
  failed: number;
  pending: number;
}

interface Run {
  mode: Mode;
  rep: number;
  /** The kernel's peak RSS of the producer (getrusage maxRSS): catches spikes between samples. */
  peakRssMb: number;
  /** The highest RSS sample (every 100 ms). */
  peakSampledRssMb: number;
  /** heapUsed right after a forced full GC, late in the warm-up and late in the outage window. */
  gcHeapWarmupMb: number;
  gcHeapOutageMb: number;
  gcExternalWarmupMb: number;
  gcExternalOutageMb: number;
  peakHeapUsedMb: number;
  /** Median RSS / heap over the last second of the warm-up. */
  warmupRssMb: number;
  warmupHeapUsedMb: number;
  /** Peak RSS within the outage window (for the baseline: the same seconds), its first and second half. */
  peakRssOutageFirstHalfMb: number;
  peakRssOutageSecondHalfMb: number;
  /** Peak RSS within the outage window, and from its end (the restart) on. */
  peakRssOutageMb: number;
  peakRssAfterMb: number;
  peakExternalMb: number;
  /** Most publishes waiting at once (issued − settled). */
  maxPending: number;
  /** Seconds from the kill to the first publish refused for a full buffer. */
  firstRejectAfterKillS?: number;
  issuedBeforeOutage: number;
  /** Publishes issued in the whole run and how they ended. */
  issued: number;
  accepted: number;
  rejected: number;
  failed: number;
  pendingAtEnd: number;
  firstFailure?: string;
  /** Bytes of one publish's payload (the envelope XADDed and PUBLISHed). */
  envelopeBytes: number;
  streamEntriesAtWarmup: number;
  killAtS?: number;
  restartAtS?: number;
  /** Seconds from the restart until no publish was waiting. */
  drainedAfterRestartS?: number;
  samples: Sample[];
}

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const sleepUntil = (t: number): Promise<void> =>
  new Promise(resolve => setTimeout(resolve, Math.max(0, t - now())));

function toSample(message: BenchMessage, t0: number): Sample {
  const n = (key: string): number => Number(message[key]);
  return {
    s: (n('t') - t0) / 1000,
    rssMb: n('rssMb'),
    maxRssMb: n('maxRssMb'),
    heapUsedMb: n('heapUsedMb'),
    externalMb: n('externalMb'),
    arrayBuffersMb: n('arrayBuffersMb'),
    issued: n('issued'),
    accepted: n('accepted'),
    rejected: n('rejected'),
    failed: n('failed'),
    pending: n('pending'),
  };
}

const peak = (samples: Sample[], key: keyof Sample): number =>
  samples.reduce((max, s) => Math.max(max, s[key]), -Infinity);

async function runOnce(
  mode: Mode,
  rep: number,
  server: RedisServer,
  admin: Redis,
): Promise<Run> {
  await admin.flushall();
  const label = `[outage-memory] ${mode} ${rep}/${params.runs}`;
  const env = { REDIS_URL: server.url };
  const children: BenchChild[] = [];
  try {
    const consumer = BenchChild.start(`${mode} consumer`, CONSUMER, env);
    children.push(consumer);
    await consumer.waitFor('ready', 30_000);
    const producer = BenchChild.start(`${mode} producer`, PRODUCER, env, [
      '--expose-gc',
    ]);
    children.push(producer);
    await producer.waitFor('ready', 30_000);

    producer.send({
      kind: 'run',
      rate: params.rate,
      seconds: totalSeconds,
      settleMs: params.settleMs,
    });
    const started = await producer.waitFor('started', 10_000);
    const t0 = Number(started.t0);
    const samples: Sample[] = [];
    let finished: BenchMessage | undefined;
    const phaseAt = (s: number): string =>
      s < params.warmupSeconds
        ? 'warm-up'
        : s < params.warmupSeconds + params.outageSeconds
          ? mode === 'outage'
            ? 'OUTAGE'
            : 'steady'
          : 'after';
    const collect = async (): Promise<void> => {
      for (;;) {
        const message = await producer.waitFor(
          'sample',
          params.settleMs + 10_000,
        );
        if (message.final === true) {
          finished = message;
          samples.push(toSample(message, t0));
          return;
        }
        const sample = toSample(message, t0);
        samples.push(sample);
        if (samples.length % 10 === 0) {
          log(
            `${label} t=${fmt(sample.s, 1)}s ${phaseAt(sample.s).padEnd(7)} rss ${fmt(sample.rssMb, 1)} MB, heapUsed ${fmt(sample.heapUsedMb, 1)} MB; ` +
              `accepted ${sample.accepted}, rejected ${sample.rejected}, failed ${sample.failed}, waiting ${sample.pending}`,
          );
        }
      }
    };

    let killAt: number | undefined;
    let restartAt: number | undefined;
    let streamEntriesAtWarmup = 0;
    let envelopeBytes = NaN;
    const gcAt = async (t: number): Promise<BenchMessage> => {
      await sleepUntil(t);
      producer.send({ kind: 'gc' });
      return producer.waitFor('gc', 10_000);
    };
    let gcWarmup: BenchMessage | undefined;
    let gcOutage: BenchMessage | undefined;
    const probe = async (): Promise<void> => {
      gcWarmup = await gcAt(t0 + params.warmupSeconds * 1000 - 300);
      gcOutage = await gcAt(
        t0 + (params.warmupSeconds + params.outageSeconds) * 1000 - 300,
      );
    };
    const drive = async (): Promise<void> => {
      // Late in the warm-up: the producer's events reach the stream, so each publish is XADD + PUBLISH.
      await sleepUntil(t0 + params.warmupSeconds * 1000 - 600);
      streamEntriesAtWarmup = await admin.xlen(STREAM_KEY);
      const [entry] = await admin.xrevrange(STREAM_KEY, '+', '-', 'COUNT', 1);
      envelopeBytes = Math.max(
        ...(entry?.[1] ?? []).map(field => Buffer.byteLength(field)),
      );
      if (mode === 'baseline') return;
      await sleepUntil(t0 + params.warmupSeconds * 1000);
      await server.kill();
      killAt = now();
      log(
        `${label} redis-server killed (SIGKILL) at t=${fmt((killAt - t0) / 1000, 2)}s`,
      );
      await sleepUntil(killAt + params.outageSeconds * 1000);
      await server.start();
      restartAt = now();
      log(
        `${label} redis-server started again on port ${server.port} at t=${fmt((restartAt - t0) / 1000, 2)}s`,
      );
      await admin.ping();
      await prepareRedis(admin);
    };

    // The consumer's and the bus' reconnects are their own business; this loop only watches.
    await Promise.all([collect(), drive(), probe()]);
    if (streamEntriesAtWarmup === 0) {
      throw new Error(
        `${label}: no entry in ${STREAM_KEY} after the warm-up: the producer did not XADD (durable.wants was false)`,
      );
    }

    const from = params.warmupSeconds;
    const to = params.warmupSeconds + params.outageSeconds;
    const mid = (from + to) / 2;
    const window = samples.filter(s => s.s >= from && s.s < to);
    const warm = samples.filter(s => s.s >= from - 1 && s.s < from);
    const before = [...samples].reverse().find(s => s.s < from) ?? samples[0];
    const last = samples[samples.length - 1];
    const killAtS = killAt === undefined ? undefined : (killAt - t0) / 1000;
    const restartAtS =
      restartAt === undefined ? undefined : (restartAt - t0) / 1000;
    const firstReject = samples.find(s => s.rejected > 0);
    const drained =
      restartAtS === undefined
        ? undefined
        : samples.find(s => s.s > restartAtS && s.pending === 0);
    return {
      mode,
      rep,
      peakRssMb: peak(samples, 'maxRssMb'),
      peakSampledRssMb: peak(samples, 'rssMb'),
      gcHeapWarmupMb: Number(gcWarmup?.heapUsedMb),
      gcHeapOutageMb: Number(gcOutage?.heapUsedMb),
      gcExternalWarmupMb: Number(gcWarmup?.externalMb),
      gcExternalOutageMb: Number(gcOutage?.externalMb),
      peakHeapUsedMb: peak(samples, 'heapUsedMb'),
      warmupRssMb: median(warm.map(s => s.rssMb)),
      warmupHeapUsedMb: median(warm.map(s => s.heapUsedMb)),
      peakRssOutageFirstHalfMb: peak(
        window.filter(s => s.s < mid),
        'rssMb',
      ),
      peakRssOutageSecondHalfMb: peak(
        window.filter(s => s.s >= mid),
        'rssMb',
      ),
      peakRssOutageMb: peak(window, 'rssMb'),
      peakRssAfterMb: peak(
        samples.filter(s => s.s >= to),
        'rssMb',
      ),
      peakExternalMb: peak(samples, 'externalMb'),
      maxPending: peak(samples, 'pending'),
      firstRejectAfterKillS:
        firstReject && killAtS !== undefined
          ? firstReject.s - killAtS
          : undefined,
      issued: last.issued,
      accepted: last.accepted,
      rejected: last.rejected,
      failed: last.failed,
      pendingAtEnd: last.pending,
      firstFailure:
        finished?.firstFailure === undefined
          ? undefined
          : String(finished.firstFailure),
      envelopeBytes,
      streamEntriesAtWarmup,
      killAtS,
      restartAtS,
      drainedAfterRestartS:
        drained && restartAtS !== undefined
          ? drained.s - restartAtS
          : undefined,
      samples: samples.map(s => ({
        ...s,
        s: round(s.s, 2),
        rssMb: round(s.rssMb, 1),
        maxRssMb: round(s.maxRssMb, 1),
        heapUsedMb: round(s.heapUsedMb, 1),
        externalMb: round(s.externalMb, 1),
        arrayBuffersMb: round(s.arrayBuffersMb, 1),
      })),
      issuedBeforeOutage: before.issued,
    };
  } finally {
    await Promise.all(children.map(child => child.stop()));
  }
}

async function main(): Promise<void> {
  const server = await RedisServer.start();
  const admin = new Redis(server.url, { lazyConnect: true });
  // The admin connection sees the outage too; it reconnects by itself and sends nothing meanwhile.
  admin.on('error', () => undefined);
  await admin.connect();
  const machine = machineInfo(await prepareRedis(admin));
  log(
    `[outage-memory] redis-server ${machine.redis} on ${server.url}; ${machine.cpuCount} x ${machine.cpuModel}, node ${machine.node}`,
  );
  log(
    `[outage-memory] ${params.runs} runs x (outage, baseline): ${params.rate} events/s of ${params.dataBytes / 1024} KB data, ` +
      `${params.warmupSeconds} s warm-up, ${params.outageSeconds} s outage, ${params.afterSeconds} s after; buffer ${MAX_BUFFERED_PUBLISHES} publishes / ${MAX_BUFFERED_BYTES / 1024 / 1024} MB`,
  );
  const runs: Run[] = [];
  const onSignal = (): void => {
    killAllChildren();
    void server.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (let rep = 1; rep <= params.runs; rep++) {
      const order: Mode[] =
        rep % 2 ? ['outage', 'baseline'] : ['baseline', 'outage'];
      for (const mode of order) {
        const run = await runOnce(mode, rep, server, admin);
        runs.push(run);
        log(
          `[outage-memory] ${mode} ${rep}/${params.runs}: peak rss ${fmt(run.peakRssMb, 1)} MB (warm-up ${fmt(run.warmupRssMb, 1)}), ` +
            `peak heapUsed ${fmt(run.peakHeapUsedMb, 1)} MB; accepted ${run.accepted}, rejected ${run.rejected}, failed ${run.failed}, still waiting ${run.pendingAtEnd}`,
        );
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    killAllChildren();
    admin.disconnect();
    await server.stop();
  }

  const of = (mode: Mode, pick: (run: Run) => number | undefined): number =>
    median(
      runs
        .filter(r => r.mode === mode)
        .map(pick)
        .filter((v): v is number => v !== undefined && Number.isFinite(v)),
    );
  const reps = [...new Set(runs.map(r => r.rep))];
  const pair = (rep: number): { outage: Run; baseline: Run } => ({
    outage: runs.find(r => r.rep === rep && r.mode === 'outage')!,
    baseline: runs.find(r => r.rep === rep && r.mode === 'baseline')!,
  });
  const perRun = reps.map(rep => {
    const { outage, baseline } = pair(rep);
    return {
      rep,
      peakRssMb: { outage: outage.peakRssMb, baseline: baseline.peakRssMb },
      peakHeapUsedMb: {
        outage: outage.peakHeapUsedMb,
        baseline: baseline.peakHeapUsedMb,
      },
      rssDiffMb: outage.peakRssMb - baseline.peakRssMb,
      heapDiffMb: outage.peakHeapUsedMb - baseline.peakHeapUsedMb,
      rssGrowthOverWarmupMb: outage.peakRssMb - outage.warmupRssMb,
      peakSampledRssMb: {
        outage: outage.peakSampledRssMb,
        baseline: baseline.peakSampledRssMb,
      },
      /** Growth of the post-GC heap from late warm-up to late outage window, outage minus baseline. */
      retainedHeapMb:
        outage.gcHeapOutageMb -
        outage.gcHeapWarmupMb -
        (baseline.gcHeapOutageMb - baseline.gcHeapWarmupMb),
      retainedExternalMb:
        outage.gcExternalOutageMb -
        outage.gcExternalWarmupMb -
        (baseline.gcExternalOutageMb - baseline.gcExternalWarmupMb),
      /** Reconnect spike: the kernel's peak RSS over the highest sample of the outage window. */
      reconnectSpikeMb: outage.peakRssMb - outage.peakRssOutageMb,
      peakRssWindowMb: {
        outage: outage.peakRssOutageMb,
        baseline: baseline.peakRssOutageMb,
      },
      peakRssAfterMb: {
        outage: outage.peakRssAfterMb,
        baseline: baseline.peakRssAfterMb,
      },
      secondMinusFirstHalfMb:
        outage.peakRssOutageSecondHalfMb - outage.peakRssOutageFirstHalfMb,
    };
  });
  const envelopeBytes = of('outage', r => r.envelopeBytes);
  const effectiveBoundMb =
    Math.min(MAX_BUFFERED_PUBLISHES * envelopeBytes, MAX_BUFFERED_BYTES) /
    1024 /
    1024;
  const summary = {
    peakRssMb: {
      outage: of('outage', r => r.peakRssMb),
      baseline: of('baseline', r => r.peakRssMb),
    },
    peakHeapUsedMb: {
      outage: of('outage', r => r.peakHeapUsedMb),
      baseline: of('baseline', r => r.peakHeapUsedMb),
    },
    rssDiffMb: median(perRun.map(r => r.rssDiffMb)),
    heapDiffMb: median(perRun.map(r => r.heapDiffMb)),
    rssGrowthOverWarmupMb: median(perRun.map(r => r.rssGrowthOverWarmupMb)),
    peakSampledRssMb: {
      outage: of('outage', r => r.peakSampledRssMb),
      baseline: of('baseline', r => r.peakSampledRssMb),
    },
    gcHeapMb: {
      outage: {
        warmup: of('outage', r => r.gcHeapWarmupMb),
        lateOutage: of('outage', r => r.gcHeapOutageMb),
      },
      baseline: {
        warmup: of('baseline', r => r.gcHeapWarmupMb),
        lateOutage: of('baseline', r => r.gcHeapOutageMb),
      },
    },
    retainedHeapMb: median(perRun.map(r => r.retainedHeapMb)),
    retainedExternalMb: median(perRun.map(r => r.retainedExternalMb)),
    reconnectSpikeMb: median(perRun.map(r => r.reconnectSpikeMb)),
    /** Peak RSS during the outage window alone (baseline: the same seconds), and from the restart on. */
    peakRssWindowMb: {
      outage: of('outage', r => r.peakRssOutageMb),
      baseline: of('baseline', r => r.peakRssOutageMb),
    },
    peakRssAfterMb: {
      outage: of('outage', r => r.peakRssAfterMb),
      baseline: of('baseline', r => r.peakRssAfterMb),
    },
    secondMinusFirstHalfMb: median(perRun.map(r => r.secondMinusFirstHalfMb)),
    peakExternalMb: {
      outage: of('outage', r => r.peakExternalMb),
      baseline: of('baseline', r => r.peakExternalMb),
    },
    maxPending: of('outage', r => r.maxPending),
    firstRejectAfterKillS: of('outage', r => r.firstRejectAfterKillS),
    drainedAfterRestartS: of('outage', r => r.drainedAfterRestartS),
    outcomes: {
      outage: {
        issued: of('outage', r => r.issued),
        accepted: of('outage', r => r.accepted),
        rejected: of('outage', r => r.rejected),
        failed: of('outage', r => r.failed),
        pendingAtEnd: of('outage', r => r.pendingAtEnd),
      },
      baseline: {
        issued: of('baseline', r => r.issued),
        accepted: of('baseline', r => r.accepted),
        rejected: of('baseline', r => r.rejected),
        failed: of('baseline', r => r.failed),
        pendingAtEnd: of('baseline', r => r.pendingAtEnd),
      },
    },
    envelopeBytes,
    bound: {
      maxBufferedPublishes: MAX_BUFFERED_PUBLISHES,
      maxBufferedBytes: MAX_BUFFERED_BYTES,
      maxBufferedMb: MAX_BUFFERED_BYTES / 1024 / 1024,
      /** What can wait at once with this payload: min(publishes × payload, bytes). */
      effectiveMb: effectiveBoundMb,
    },
  };
  const withinBound = summary.rssDiffMb <= summary.bound.maxBufferedMb;
  // The buffer fills within about a second at 1,000/s; after that memory must not keep rising.
  const plateau = summary.secondMinusFirstHalfMb <= 8;

  mkdirSync(RESULTS, { recursive: true });
  // Only the scenario is committed; other timings or rates go to a git-ignored file.
  const standard =
    params.rate === 1000 &&
    params.warmupSeconds === 3 &&
    params.outageSeconds === 20 &&
    params.afterSeconds === 5;
  const file = join(
    RESULTS,
    standard ? 'outage-memory.json' : 'outage-memory.custom.tmp.json',
  );
  writeFileSync(
    file,
    JSON.stringify(
      {
        scenario: 'outage-memory',
        date: new Date().toISOString(),
        machine,
        params,
        median: summary,
        perRun,
        verdict: { withinBound, plateau },
        runs,
      },
      null,
      2,
    ),
  );

  const mb = (v: number): string => fmt(v, 1);
  log(
    `\nProducer memory, ${params.outageSeconds} s Redis outage at ${params.rate} events/s x ${params.dataBytes / 1024} KB, medians of ${params.runs} runs:`,
  );
  log(
    table(
      ['', 'outage', 'no outage', 'difference'],
      [
        [
          'peak RSS (MB)',
          mb(summary.peakRssMb.outage),
          mb(summary.peakRssMb.baseline),
          mb(summary.rssDiffMb),
        ],
        [
          'highest RSS sample (MB)',
          mb(summary.peakSampledRssMb.outage),
          mb(summary.peakSampledRssMb.baseline),
          mb(
            summary.peakSampledRssMb.outage - summary.peakSampledRssMb.baseline,
          ),
        ],
        [
          '  of which in the outage window',
          mb(summary.peakRssWindowMb.outage),
          mb(summary.peakRssWindowMb.baseline),
          mb(summary.peakRssWindowMb.outage - summary.peakRssWindowMb.baseline),
        ],
        [
          '  of which after the restart',
          mb(summary.peakRssAfterMb.outage),
          mb(summary.peakRssAfterMb.baseline),
          mb(summary.peakRssAfterMb.outage - summary.peakRssAfterMb.baseline),
        ],
        [
          'peak heapUsed (MB)',
          mb(summary.peakHeapUsedMb.outage),
          mb(summary.peakHeapUsedMb.baseline),
          mb(summary.heapDiffMb),
        ],
        [
          'heapUsed after GC, late outage (MB)',
          mb(summary.gcHeapMb.outage.lateOutage),
          mb(summary.gcHeapMb.baseline.lateOutage),
          mb(
            summary.gcHeapMb.outage.lateOutage -
              summary.gcHeapMb.baseline.lateOutage,
          ),
        ],
        [
          'peak external (MB)',
          mb(summary.peakExternalMb.outage),
          mb(summary.peakExternalMb.baseline),
          mb(summary.peakExternalMb.outage - summary.peakExternalMb.baseline),
        ],
      ],
    ),
  );
  log('\nPer run (MB):');
  log(
    table(
      [
        'run',
        'RSS outage',
        'RSS none',
        'RSS diff',
        'heap outage',
        'heap none',
        'heap diff',
        'retained heap',
        'reconnect spike',
        '2nd-1st half',
      ],
      perRun.map(r => [
        String(r.rep),
        mb(r.peakRssMb.outage),
        mb(r.peakRssMb.baseline),
        mb(r.rssDiffMb),
        mb(r.peakHeapUsedMb.outage),
        mb(r.peakHeapUsedMb.baseline),
        mb(r.heapDiffMb),
        mb(r.retainedHeapMb),
        mb(r.reconnectSpikeMb),
        mb(r.secondMinusFirstHalfMb),
      ]),
    ),
  );
  log('\nPublish outcomes (medians):');
  log(
    table(
      [
        '',
        'issued',
        'accepted',
        'rejected (buffer full)',
        'failed',
        'waiting at end',
      ],
      (['outage', 'baseline'] as const).map(mode => {
        const o = summary.outcomes[mode];
        return [
          mode === 'outage' ? 'outage' : 'no outage',
          fmt(o.issued),
          fmt(o.accepted),
          fmt(o.rejected),
          fmt(o.failed),
          fmt(o.pendingAtEnd),
        ];
      }),
    ),
  );
  log(
    `\nBound: redis.maxBufferedPublishes ${MAX_BUFFERED_PUBLISHES}, redis.maxBufferedBytes ${MAX_BUFFERED_BYTES} (${summary.bound.maxBufferedMb} MB); ` +
      `payload ${fmt(envelopeBytes)} bytes per publish, so at most ${mb(effectiveBoundMb)} MB of payload waits at once (most waiting seen: ${fmt(summary.maxPending)} publishes).`,
  );
  log(
    `First refusal ${fmt(summary.firstRejectAfterKillS, 1)} s after the kill; the buffer drained ${fmt(summary.drainedAfterRestartS, 1)} s after the restart.`,
  );
  log(
    `Peak RSS over the no-outage run: ${mb(summary.rssDiffMb)} MB (${withinBound ? 'within' : 'ABOVE'} maxBufferedBytes, ${mb(summary.bound.maxBufferedMb)} MB); ` +
      `second half of the outage vs the first: ${mb(summary.secondMinusFirstHalfMb)} MB (${plateau ? 'flat: no growth with outage length' : 'STILL GROWING: memory is not bounded by the buffer'}).`,
  );
  log(
    `Retained by the outage (post-GC heap growth, outage minus no outage): ${mb(summary.retainedHeapMb)} MB heap, ${mb(summary.retainedExternalMb)} MB external; ` +
      `reconnect spike (peak RSS over the outage plateau): ${mb(summary.reconnectSpikeMb)} MB.`,
  );
  log(`Wrote ${file}.`);
}

main().catch(error => {
  killAllChildren();
  console.error(`bench failed: ${(error as Error).stack}`);
  process.exit(1);
});
