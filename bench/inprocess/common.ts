/**
 * The shared parts of the in-process scenario (issue 17): one child process
 * holds a whole Nest application context, publishes into it and counts its own
 * handler calls. The bus and `@nestjs/event-emitter` go through the same loops:
 * a throughput phase (batches of `batch` events, each batch's promises awaited
 * when the side returns any, then one `setImmediate`) and the fixed-rate
 * latency phase of bench/latency (creation of the data to the handler call).
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { cpuSince, memory, now, onCommand, report } from '../lib/ipc.js';
import {
  makeData,
  makeStampedData,
  type BenchData,
  type StampedData,
} from '../fanout/payload.js';
import { runPublisher } from '../fanout/publisher-common.js';
import { DeliveryCounter } from '../fanout/subscriber-common.js';

export { EVENT_TYPE } from '../fanout/payload.js';

/** One side in its process: `send` publishes (or emits) one event; a promise is awaited with its batch. */
export interface InProcessSide {
  send(data: BenchData): unknown;
  close(): Promise<void>;
}

const recorder = new DeliveryCounter();
let handled = 0;
let latencyArmed = false;

/** What each side's one handler does with an event's data: count it, and time it in the latency phase. */
export function onTick(data: BenchData | StampedData): void {
  handled++;
  if (latencyArmed) recorder.hit((data as StampedData).sentAt);
}

/**
 * `{ kind: 'throughput', count, batch, firstSeq }`: sends `count` events in
 * batches and answers `{ kind: 'throughput-done' }` once every handler call
 * happened, with the time, CPU and memory of the phase.
 */
async function throughput(
  side: InProcessSide,
  count: number,
  batch: number,
  firstSeq: number,
): Promise<void> {
  latencyArmed = false;
  handled = 0;
  const cpuAtStart = process.cpuUsage();
  const t0 = now();
  const pending: unknown[] = [];
  let sent = 0;
  while (sent < count) {
    const end = Math.min(count, sent + batch);
    for (; sent < end; sent++) {
      const result = side.send(makeData(firstSeq + sent));
      if (result instanceof Promise) pending.push(result);
    }
    if (pending.length > 0) {
      await Promise.all(pending);
      pending.length = 0;
    }
    await nextMacrotask();
  }
  while (handled < count) await nextMacrotask();
  const tLast = now();
  report({
    kind: 'throughput-done',
    count,
    handled,
    seconds: (tLast - t0) / 1000,
    cpuUs: cpuSince(cpuAtStart),
    ...memory(),
  });
}

/**
 * Runs a side's child: `start` builds the application context. Besides the
 * rate publisher's commands (`publish`, `clock`, `exit`), it answers
 * `throughput` and `expect` (arms the latency recorder, answers `armed`).
 */
export async function runInProcessChild(
  start: () => Promise<InProcessSide>,
): Promise<void> {
  const side = await start();
  onCommand(async message => {
    if (message.kind === 'throughput') {
      await throughput(
        side,
        Number(message.count),
        Number(message.batch),
        Number(message.firstSeq ?? 0),
      );
    } else if (message.kind === 'expect') {
      recorder.arm(String(message.phase), Number(message.count));
      latencyArmed = true;
      report({ kind: 'armed', phase: message.phase });
    }
  });
  await runPublisher(async () => ({
    publish: seq => {
      const result = side.send(makeStampedData(seq));
      return result instanceof Promise ? result : Promise.resolve();
    },
    close: () => side.close(),
  }));
}
