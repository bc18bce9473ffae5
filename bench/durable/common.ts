import { cpuSince, memory, now, onCommand, report } from '../lib/ipc.js';
import { makeData, type BenchData } from '../fanout/payload.js';
import { runSubscriber } from '../fanout/subscriber-common.js';

/** Stream and group both sides use: the bus' own key for type `bench.job`, so Redis does the same work. */
export const DURABLE_TYPE = 'bench.job';
export const DURABLE_PATTERN = 'bench.*';
export const STREAM_KEY = 'eventbus:{bench}:stream';
export const GROUP = 'bench-workers';
/** Handler concurrency of the bus and XREADGROUP COUNT of the baseline. */
export const CONCURRENCY = 64;

/** The 1 KB fan-out payload plus the send time, for latency. */
export type DurableData = BenchData & { sentAt: number };

export function makeDurableData(seq: number): DurableData {
  return { ...makeData(seq), sentAt: now() };
}

/**
 * Counts handled events of a phase and keeps their publish-to-handler latency;
 * reports throughput timing and p50/p99 when the phase is complete.
 */
export class LatencyCounter {
  private count = 0;
  private target = -1;
  private phase = '';
  private latencies: number[] = [];
  private cpuAtArm = process.cpuUsage();

  arm(phase: string, target: number): void {
    this.phase = phase;
    this.target = target;
    this.count = 0;
    this.latencies = [];
    this.cpuAtArm = process.cpuUsage();
  }

  hit(sentAt: number): void {
    if (this.target < 0) return;
    this.latencies.push(now() - sentAt);
    if (++this.count !== this.target) return;
    const tLast = now();
    const sorted = this.latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    this.target = -1;
    report({
      kind: 'done',
      phase: this.phase,
      count: this.count,
      tLast,
      p50: at(0.5),
      p99: at(0.99),
      cpuUs: cpuSince(this.cpuAtArm),
      ...memory(),
    });
  }
}

/** A consumer child: `start` begins consuming into `counter`; the parent arms phases (as for fan-out). */
export const runConsumer = runSubscriber;

/**
 * A producer child. `{ kind: 'publish', count, window, rate? }`: without `rate`,
 * as fast as `window` concurrent publishes allow; with `rate` (events/s), on a
 * fixed schedule (still at most `window` in flight), as a steady load would.
 */
export async function runProducer(
  start: () => Promise<{
    publish(seq: number): Promise<unknown>;
    close(): Promise<void>;
  }>,
): Promise<void> {
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
    const rate = message.rate === undefined ? 0 : Number(message.rate);
    const firstSeq = Number(message.firstSeq);
    const cpuAtStart = process.cpuUsage();
    const t0 = now();
    let sent = 0;
    let inFlight = 0;
    await new Promise<void>((resolve, reject) => {
      const pump = (): void => {
        const due =
          rate > 0
            ? Math.min(count, Math.floor(((now() - t0) / 1000) * rate) + 1)
            : count;
        while (sent < due && inFlight < window) {
          inFlight++;
          producer.publish(firstSeq + sent++).then(() => {
            inFlight--;
            if (sent === count && inFlight === 0) resolve();
            else if (rate === 0) pump();
          }, reject);
        }
        if (rate > 0 && sent < count) setTimeout(pump, 1);
      };
      pump();
    });
    report({
      kind: 'published',
      phase: message.phase,
      count,
      t0,
      tEnd: now(),
      cpuUs: cpuSince(cpuAtStart),
    });
  });
  report({ kind: 'ready' });
}
