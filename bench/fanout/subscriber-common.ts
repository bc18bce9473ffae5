import { cpuSince, memory, now, onCommand, report } from '../lib/ipc.js';
import { percentiles } from '../lib/stats.js';

/**
 * Counts deliveries on the subscriber side, keeps each one's latency (handler
 * call minus the data's `sentAt`) in a preallocated array, so recording
 * allocates nothing, and reports the time of the last one of a phase with
 * p50/p99/max of the latencies. The hot path is the same for the bus and
 * every baseline.
 */
export class DeliveryCounter {
  private count = 0;
  private target = -1;
  private phase = '';
  private strays = 0;
  private wireBytes = 0;
  private latencies = new Float64Array(0);
  private cpuAtArm: NodeJS.CpuUsage = process.cpuUsage();

  /** True until one message size was recorded (checked once per event by both sides). */
  needsSample = true;

  /** Starts a phase: the next `target` deliveries belong to it. */
  arm(phase: string, target: number): void {
    this.phase = phase;
    this.target = target;
    this.count = 0;
    this.latencies = new Float64Array(target);
    this.cpuAtArm = process.cpuUsage();
  }

  /** Records the size of one message as it travelled (bytes of its JSON). */
  sample(bytes: number): void {
    this.wireBytes = bytes;
    this.needsSample = false;
  }

  /** One event reached the handler; `sentAt` is its data's. */
  hit(sentAt: string): void {
    const latency = now() - Number(sentAt);
    if (this.target < 0) {
      this.strays++;
      return;
    }
    this.latencies[this.count] = latency;
    if (++this.count === this.target) {
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
        wireBytes: this.wireBytes,
        ...percentiles(this.latencies),
        ...memory(),
      });
    }
  }

  /** Where the current phase stands, for a timeout's error message. */
  progress(): { phase: string; count: number; target: number } {
    return { phase: this.phase, count: this.count, target: this.target };
  }
}

/** What a subscriber child's `start` hands back: its close function, or that and extra progress figures. */
export type SubscriberHandle =
  | (() => Promise<void>)
  | { close: () => Promise<void>; extra?: () => Record<string, unknown> };

/**
 * Runs a subscriber child: `start` subscribes (feeding `counter`) and returns its close function
 * (and, optionally, extra figures for progress reports); then the parent arms phases with
 * `{ kind: 'expect', phase, count }` and may ask `{ kind: 'progress' }` when the counter tells it,
 * or `{ kind: 'clock' }` (answered with this process' `now()`, to probe the clock offset).
 */
export async function runSubscriber(
  counter: Pick<DeliveryCounter, 'arm'> &
    Partial<Pick<DeliveryCounter, 'progress'>>,
  start: () => Promise<SubscriberHandle>,
): Promise<void> {
  const handle = await start();
  const { close, extra } =
    typeof handle === 'function' ? { close: handle, extra: undefined } : handle;
  onCommand(async message => {
    if (message.kind === 'clock') {
      report({ kind: 'clock', t: now() });
    } else if (message.kind === 'expect') {
      counter.arm(String(message.phase), Number(message.count));
      report({ kind: 'armed', phase: message.phase });
    } else if (message.kind === 'progress' && counter.progress) {
      report({ kind: 'progress', ...counter.progress(), ...extra?.() });
    } else if (message.kind === 'exit') {
      await Promise.race([
        close(),
        new Promise(resolve => setTimeout(resolve, 3000)),
      ]);
      process.exit(0);
    }
  });
  report({ kind: 'ready', ...memory() });
}
