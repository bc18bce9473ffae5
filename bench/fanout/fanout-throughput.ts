import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild, runPhase } from '../lib/child.js';
import type { BenchMessage } from '../lib/ipc.js';
import type { Percentiles } from '../lib/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * `ours`: the event bus on both ends; `frames`: the same with `redis.frames` on
 * the publisher (the subscriber is the default bus: reading frames is always
 * on); `baseline`: raw ioredis on both ends.
 */
export type Side = 'ours' | 'frames' | 'baseline';

export interface FanoutOptions {
  redisUrl: string;
  events: number;
  warmupEvents: number;
  window: number;
  /** Extra node flags for the children (e.g. --cpu-prof). */
  execArgv: string[];
  /** CPU time redis-server has used so far, in microseconds (INFO cpu). */
  redisCpuUs: () => Promise<number>;
  /** `redis.frames` of the `frames` side's publisher, as JSON (`true`: the defaults). */
  framesOptions?: string;
}

/** One measured run of one side. */
export interface FanoutRun {
  side: Side;
  rep: number;
  /** 1 when this side ran first in its repetition, 2 when second. */
  order: number;
  events: number;
  /** First publish call (publisher) to last handler call (subscriber). */
  elapsedMs: number;
  eventsPerSecond: number;
  /** First publish call to last settled publish, in the publisher. */
  publishMs: number;
  /** Bytes of one message on the wire (the bus adds its envelope to the 1 KB data). */
  wireBytes: number;
  /** CPU time per event during the measured phase (user + system, all threads), in microseconds. */
  cpuUsPerEvent: {
    publisher: number;
    subscriber: number;
    redis: number;
  };
  /** Publish call (data creation) to handler call, under saturation (`window` in flight). */
  latencyMs: Percentiles;
  publisher: {
    rssEndMb: number;
    maxRssMb: number;
  };
  subscriber: {
    /** RSS after subscribing, before any event. */
    rssIdleMb: number;
    /** RSS right after the last delivery. */
    rssEndMb: number;
    /** Peak RSS of the process. */
    maxRssMb: number;
    heapUsedMb: number;
  };
}

const SCRIPTS: Record<Side, { subscriber: string; publisher: string }> = {
  ours: { subscriber: 'subscriber-ours.js', publisher: 'publisher-ours.js' },
  frames: { subscriber: 'subscriber-ours.js', publisher: 'publisher-ours.js' },
  baseline: { subscriber: 'subscriber-raw.js', publisher: 'publisher-raw.js' },
};

const START_TIMEOUT_MS = 30_000;

async function phase(
  subscriber: BenchChild,
  publisher: BenchChild,
  name: string,
  count: number,
  firstSeq: number,
  window: number,
): Promise<{ delivered: BenchMessage; published: BenchMessage }> {
  const { d, p } = await runPhase(subscriber, publisher, {
    name,
    count,
    window,
    firstSeq,
  });
  return { delivered: d, published: p };
}

/**
 * Runs one side once: a fresh subscriber child and a fresh publisher child,
 * a warm-up phase, then `events` measured events.
 */
export async function runFanoutSide(
  side: Side,
  rep: number,
  order: number,
  options: FanoutOptions,
): Promise<FanoutRun> {
  const env: Record<string, string> = { REDIS_URL: options.redisUrl };
  if (side === 'frames') env.BENCH_FRAMES = options.framesOptions ?? 'true';
  const scripts = SCRIPTS[side];
  const children: BenchChild[] = [];
  try {
    const subscriber = BenchChild.start(
      `${side} subscriber`,
      join(HERE, scripts.subscriber),
      env,
      options.execArgv,
    );
    children.push(subscriber);
    const publisher = BenchChild.start(
      `${side} publisher`,
      join(HERE, scripts.publisher),
      env,
      options.execArgv,
    );
    children.push(publisher);
    const [ready] = await Promise.all([
      subscriber.waitFor('ready', START_TIMEOUT_MS),
      publisher.waitFor('ready', START_TIMEOUT_MS),
    ]);
    if (options.warmupEvents > 0) {
      await phase(
        subscriber,
        publisher,
        'warmup',
        options.warmupEvents,
        0,
        options.window,
      );
    }
    const redisCpuBefore = await options.redisCpuUs();
    const { delivered, published } = await phase(
      subscriber,
      publisher,
      'measure',
      options.events,
      options.warmupEvents,
      options.window,
    );
    const redisCpu = (await options.redisCpuUs()) - redisCpuBefore;
    const elapsedMs = Number(delivered.tLast) - Number(published.t0);
    if (Number(delivered.strays) > 0) {
      throw new Error(
        `${side} subscriber got ${String(delivered.strays)} events outside a phase`,
      );
    }
    return {
      side,
      rep,
      order,
      events: options.events,
      elapsedMs,
      eventsPerSecond: (options.events / elapsedMs) * 1000,
      publishMs: Number(published.tEnd) - Number(published.t0),
      wireBytes: Number(delivered.wireBytes),
      cpuUsPerEvent: {
        publisher: Number(published.cpuUs) / options.events,
        subscriber: Number(delivered.cpuUs) / options.events,
        redis: redisCpu / options.events,
      },
      latencyMs: {
        p50: Number(delivered.p50),
        p99: Number(delivered.p99),
        max: Number(delivered.max),
        mean: Number(delivered.mean),
      },
      publisher: {
        rssEndMb: Number(published.rssMb),
        maxRssMb: Number(published.maxRssMb),
      },
      subscriber: {
        rssIdleMb: Number(ready.rssMb),
        rssEndMb: Number(delivered.rssMb),
        maxRssMb: Number(delivered.maxRssMb),
        heapUsedMb: Number(delivered.heapUsedMb),
      },
    };
  } finally {
    await Promise.all(children.map(child => child.stop()));
  }
}
