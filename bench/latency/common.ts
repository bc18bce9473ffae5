/**
 * The shared parts of the fan-out latency scenario (issue 17): the 1 KB event
 * stamped with its creation time, the publisher's fixed-rate schedule and the
 * subscriber's latency record. The bus and raw ioredis go through the same code.
 */
import { cpuSince, memory, now, onCommand, report } from '../lib/ipc.js';
import { makeData, PAYLOAD_BYTES, type BenchData } from '../fanout/payload.js';
import { runSubscriber } from '../fanout/subscriber-common.js';

/** `now()` with 3 decimals (1 µs) as 17 characters: fixed width keeps the JSON at PAYLOAD_BYTES. */
const SENT_AT_WIDTH = 17;

/** The fan-out payload with `sentAt`, the wall-clock ms at its creation; `note` is shortened to keep 1 KB. */
export type LatencyData = BenchData & { sentAt: string };

const overhead =
  JSON.stringify({ ...makeData(0), sentAt: '0'.repeat(SENT_AT_WIDTH) }).length -
  PAYLOAD_BYTES;
const NOTE = makeData(0).note.slice(0, -overhead);

/** The data of event `seq`, stamped now: its creation is where latency starts. */
export function makeLatencyData(seq: number): LatencyData {
  return { ...makeData(seq), note: NOTE, sentAt: now().toFixed(3) };
}

const probe = JSON.stringify(makeLatencyData(1));
if (Buffer.byteLength(probe) !== PAYLOAD_BYTES) {
  throw new Error(
    `latency payload is ${Buffer.byteLength(probe)} bytes, not ${PAYLOAD_BYTES}`,
  );
}

/** Answers the parent's clock probe (`{ kind: 'clock' }`) with this process' `now()`. */
export function answerClock(): void {
  report({ kind: 'clock', t: now() });
}

/** p50, p99 and max of `values` (sorted in place), in their unit. */
export function percentiles(values: Float64Array): {
  p50: number;
  p99: number;
  max: number;
  mean: number;
} {
  values.sort();
  const at = (q: number): number =>
    values[Math.min(values.length - 1, Math.floor(q * values.length))];
  let sum = 0;
  for (const value of values) sum += value;
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: values[values.length - 1],
    mean: sum / values.length,
  };
}

/**
 * Subscriber side: keeps every delivery's latency (handler call minus
 * `sentAt`) for the armed phase in a preallocated array, so recording
 * allocates nothing; reports p50/p99/max when the phase is complete.
 */
export class LatencyRecorder {
  private count = 0;
  private target = -1;
  private phase = '';
  private strays = 0;
  private latencies = new Float64Array(0);
  private cpuAtArm = process.cpuUsage();

  arm(phase: string, target: number): void {
    this.phase = phase;
    this.target = target;
    this.count = 0;
    this.latencies = new Float64Array(target);
    this.cpuAtArm = process.cpuUsage();
  }

  hit(sentAt: string): void {
    const latency = now() - Number(sentAt);
    if (this.target < 0) {
      this.strays++;
      return;
    }
    this.latencies[this.count] = latency;
    if (++this.count !== this.target) return;
    const tLast = now();
    const cpuUs = cpuSince(this.cpuAtArm);
    this.target = -1;
    report({
      kind: 'done',
      phase: this.phase,
      count: this.count,
      tLast,
      cpuUs,
      strays: this.strays,
      ...percentiles(this.latencies),
      ...memory(),
    });
  }

  progress(): { phase: string; count: number; target: number } {
    return { phase: this.phase, count: this.count, target: this.target };
  }
}

/** A subscriber child: as for fan-out throughput, plus the clock probe. */
export async function runLatencySubscriber(
  recorder: LatencyRecorder,
  start: Parameters<typeof runSubscriber>[1],
): Promise<void> {
  process.on('message', (message: { kind?: string }) => {
    if (message.kind === 'clock') answerClock();
  });
  await runSubscriber(recorder, start);
}

export interface RatePublisher {
  /** Publishes event `seq`, creating its data (and so its `sentAt`) in the call. */
  publish(seq: number): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * A publisher child. `{ kind: 'publish', phase, count, rate, window, firstSeq }`:
 * event i is due at t0 + i / rate; a 1 ms timer publishes whatever is due (at
 * most `window` in flight), as a steady load would. Reports, besides timing and
 * CPU, how late events were created against their schedule (the event loop's
 * lag, which delays creation but is not part of the measured latency), and the
 * `performance.now()` window of the phase, to line up a --trace-gc log.
 */
export async function runRatePublisher(
  start: () => Promise<RatePublisher>,
): Promise<void> {
  const publisher = await start();
  onCommand(async message => {
    if (message.kind === 'clock') {
      answerClock();
      return;
    }
    if (message.kind === 'exit') {
      await Promise.race([
        publisher.close(),
        new Promise(resolve => setTimeout(resolve, 3000)),
      ]);
      process.exit(0);
    }
    if (message.kind !== 'publish') return;
    const count = Number(message.count);
    const rate = Number(message.rate);
    const window = Number(message.window);
    const firstSeq = Number(message.firstSeq);
    const lags = new Float64Array(count);
    const cpuAtStart = process.cpuUsage();
    const perfStart = performance.now();
    const t0 = now();
    let sent = 0;
    let settled = 0;
    let inFlight = 0;
    let windowFull = 0;
    await new Promise<void>((resolve, reject) => {
      const onSettled = (): void => {
        inFlight--;
        if (++settled === count) resolve();
      };
      const pump = (): void => {
        const at = now();
        const due = Math.min(count, Math.floor(((at - t0) / 1000) * rate) + 1);
        while (sent < due) {
          if (inFlight >= window) {
            windowFull++;
            break;
          }
          lags[sent] = now() - (t0 + (sent * 1000) / rate);
          inFlight++;
          publisher.publish(firstSeq + sent++).then(onSettled, reject);
        }
        if (sent < count) setTimeout(pump, 1);
      };
      pump();
    });
    const tEnd = now();
    report({
      kind: 'published',
      phase: message.phase,
      count,
      t0,
      tEnd,
      cpuUs: cpuSince(cpuAtStart),
      perfStart,
      perfEnd: performance.now(),
      windowFull,
      scheduleLag: percentiles(lags),
      ...memory(),
    });
  });
  report({ kind: 'ready', ...memory() });
}
