import { cpuSince, memory, now, onCommand, report } from '../lib/ipc.js';
import { runRatePublisher, type RatePublisher } from '../latency/common.js';

/** Stream and group both sides use: the bus' own key for type `bench.job`, so Redis does the same work. */
export const DURABLE_TYPE = 'bench.job';
export const DURABLE_PATTERN = 'bench.*';
export const STREAM_KEY = 'eventbus:{bench}:stream';
export const GROUP = 'bench-workers';
/**
 * XREADGROUP COUNT of the baseline, and the bus' `durable.batchSize` and
 * handler concurrency: both sides fetch up to 100 entries per round trip.
 */
export const BATCH = 100;
/** XREADGROUP BLOCK of both sides, ms. */
export const BLOCK_MS = 1000;

/**
 * A producer child. With BENCH_MODE=latency, the fixed-rate publisher of the
 * latency bench (bench/latency/common.ts). Otherwise `{ kind: 'publish', count,
 * window }` publishes as fast as `window` concurrent publishes allow: each
 * settled publish starts the next one, so the publishes of one tick leave in
 * one pipelined write.
 */
export async function runProducer(
  start: () => Promise<RatePublisher>,
): Promise<void> {
  if (process.env.BENCH_MODE === 'latency') return runRatePublisher(start);
  const producer = await start();
  onCommand(async message => {
    if (message.kind === 'exit') {
      await Promise.race([
        producer.close(),
        new Promise(resolve => setTimeout(resolve, 3000)),
      ]);
      process.exit(0);
    }
    if (message.kind !== 'publish') return;
    const count = Number(message.count);
    const window = Number(message.window);
    const firstSeq = Number(message.firstSeq);
    const cpuAtStart = process.cpuUsage();
    const t0 = now();
    let sent = 0;
    let settled = 0;
    await new Promise<void>((resolve, reject) => {
      const onSettled = (): void => {
        if (++settled === count) resolve();
        else if (sent < count)
          producer.publish(firstSeq + sent++).then(onSettled, reject);
      };
      while (sent < count && sent < window)
        producer.publish(firstSeq + sent++).then(onSettled, reject);
    });
    report({
      kind: 'published',
      phase: message.phase,
      count,
      t0,
      tEnd: now(),
      cpuUs: cpuSince(cpuAtStart),
      ...memory(),
    });
  });
  report({ kind: 'ready', ...memory() });
}
