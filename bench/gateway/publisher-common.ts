/**
 * The publishing loop both publisher children share: on
 * `{ kind: 'publish', phase, rate, durationMs }` it publishes `rate` events a
 * second for `durationMs` on a fixed schedule (event i is due at t0 + i / rate;
 * whatever is due is sent on each timer tick, so a late tick catches up), each
 * carrying its send time, and replies `published` once every publish settled;
 * `memory` replies its RSS now and at peak.
 */
import { cpuSince, fail, memory, now, onCommand, report } from '../lib/ipc.js';
import { makeEventData, type GatewayBenchData } from './common.js';

export interface RoomPublisher {
  publish(data: GatewayBenchData): Promise<unknown> | void;
  close(): Promise<void>;
}

async function publishAtRate(
  publisher: RoomPublisher,
  phase: number,
  rate: number,
  durationMs: number,
) {
  const count = Math.max(1, Math.round((rate * durationMs) / 1000));
  const cpuAtStart = process.cpuUsage();
  const t0 = now();
  let sent = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let maxLagMs = 0;
  let failures = 0;
  let settle: () => void = () => undefined;
  const settled = new Promise<void>(resolve => (settle = resolve));
  const done = (): void => {
    inFlight--;
    if (sent === count && inFlight === 0) settle();
  };
  await new Promise<void>(resolve => {
    const tick = (): void => {
      const t = now();
      const due = Math.min(count, Math.floor(((t - t0) * rate) / 1000) + 1);
      if (due > sent)
        maxLagMs = Math.max(maxLagMs, t - (t0 + (sent * 1000) / rate));
      while (sent < due) {
        const seq = sent++;
        const data = makeEventData(
          phase,
          Math.min(3, Math.floor((seq * 4) / count)),
          seq,
          Math.round(now() * 1000) / 1000,
        );
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const result = publisher.publish(data);
        if (result) {
          result.then(done, () => {
            failures++;
            done();
          });
        } else done();
      }
      if (sent < count)
        setTimeout(tick, Math.max(0, t0 + (sent * 1000) / rate - now()));
      else resolve();
    };
    tick();
  });
  const tLastSend = now();
  if (inFlight > 0) await settled;
  return {
    count,
    t0,
    tLastSend,
    tEnd: now(),
    maxInFlight,
    maxLagMs,
    failures,
    cpuUs: cpuSince(cpuAtStart),
  };
}

export function runPublisher(start: () => Promise<RoomPublisher>): void {
  start()
    .then(publisher => {
      onCommand(async message => {
        if (message.kind === 'publish') {
          const result = await publishAtRate(
            publisher,
            Number(message.phase),
            Number(message.rate),
            Number(message.durationMs),
          );
          report({ kind: 'published', phase: message.phase, ...result });
        } else if (message.kind === 'memory') {
          report({ kind: 'memory', ...memory() });
        } else if (message.kind === 'exit') {
          await Promise.race([
            publisher.close(),
            new Promise(resolve => setTimeout(resolve, 2000)),
          ]);
          process.exit(0);
        }
      });
      report({ kind: 'ready', pid: process.pid });
    })
    .catch(fail);
}
