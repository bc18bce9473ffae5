/**
 * The publisher of the latency scenarios (issue 17): a fixed-rate schedule.
 * The data (stamped with its creation time) is bench/fanout/payload.ts', the
 * subscriber's record bench/fanout/subscriber-common.ts' DeliveryCounter.
 */
import { cpuSince, memory, now, onCommand, report } from '../lib/ipc.js';
import { percentiles } from '../lib/stats.js';

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
      report({ kind: 'clock', t: now() });
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
