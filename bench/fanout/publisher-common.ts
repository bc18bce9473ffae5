import { cpuSince, memory, now, onCommand, report } from '../lib/ipc.js';
import { percentiles } from '../lib/stats.js';

/**
 * Publishes `count` events keeping at most `window` publishes in flight:
 * `window` loops, each awaiting its publish before taking the next number.
 * The bus and raw ioredis go through this same function.
 */
export async function publishAll(
  count: number,
  window: number,
  firstSeq: number,
  publishOne: (seq: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < count) {
      const seq = firstSeq + next++;
      await publishOne(seq);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(window, count)) }, loop),
  );
}

export interface Publisher {
  /** Publishes event `seq`, creating its data (and so its `sentAt`) in the call. */
  publish(seq: number): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Publishes `count` events at a fixed `rate`: event i is due at t0 + i / rate;
 * a 1 ms timer publishes whatever is due (at most `window` in flight), as a
 * steady load would. Returns how late each event was created against its
 * schedule (the event loop's lag, which delays creation but is not part of the
 * measured latency) and how often the window was full.
 */
async function publishAtRate(
  count: number,
  rate: number,
  window: number,
  firstSeq: number,
  publishOne: (seq: number) => Promise<unknown>,
): Promise<{ lags: Float64Array; windowFull: number }> {
  const lags = new Float64Array(count);
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
      const due = Math.min(count, Math.floor(((now() - t0) / 1000) * rate) + 1);
      while (sent < due) {
        if (inFlight >= window) {
          windowFull++;
          break;
        }
        lags[sent] = now() - (t0 + (sent * 1000) / rate);
        inFlight++;
        publishOne(firstSeq + sent++).then(onSettled, reject);
      }
      if (sent < count) setTimeout(pump, 1);
    };
    pump();
  });
  return { lags, windowFull };
}

/**
 * Runs a publisher child. `{ kind: 'publish', phase, count, window, firstSeq }`
 * publishes as fast as `window` publishes in flight allow; with `rate` it
 * publishes at that fixed rate (events/s) instead and also reports the
 * schedule lag and the `performance.now()` window of the phase (to line up a
 * --trace-gc log). Either way it reports the time of the first publish call,
 * of the last settled publish, the CPU time used and its memory.
 * `{ kind: 'clock' }` is answered with this process' `now()`.
 */
export async function runPublisher(
  start: () => Promise<Publisher>,
): Promise<void> {
  const publisher = await start();
  onCommand(async message => {
    if (message.kind === 'clock') {
      report({ kind: 'clock', t: now() });
    } else if (message.kind === 'publish') {
      const count = Number(message.count);
      const window = Number(message.window);
      const firstSeq = Number(message.firstSeq);
      const cpuAtStart = process.cpuUsage();
      const perfStart = performance.now();
      const t0 = now();
      let schedule = {};
      if (message.rate !== undefined) {
        const { lags, windowFull } = await publishAtRate(
          count,
          Number(message.rate),
          window,
          firstSeq,
          publisher.publish,
        );
        schedule = {
          windowFull,
          scheduleLag: percentiles(lags),
          perfStart,
          perfEnd: performance.now(),
        };
      } else {
        await publishAll(count, window, firstSeq, publisher.publish);
      }
      report({
        kind: 'published',
        phase: message.phase,
        count,
        t0,
        tEnd: now(),
        cpuUs: cpuSince(cpuAtStart),
        ...schedule,
        ...memory(),
      });
    } else if (message.kind === 'exit') {
      await Promise.race([
        publisher.close(),
        new Promise(resolve => setTimeout(resolve, 3000)),
      ]);
      process.exit(0);
    }
  });
  report({ kind: 'ready', ...memory() });
}
