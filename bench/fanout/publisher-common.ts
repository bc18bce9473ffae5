import { cpuSince, memory, now, onCommand, report } from '../lib/ipc.js';

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
  publish(seq: number): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Runs a publisher child: on `{ kind: 'publish', phase, count, window, firstSeq }`
 * it publishes and reports the time of the first publish call, of the last
 * settled publish, and the CPU time it used.
 */
export async function runPublisher(
  start: () => Promise<Publisher>,
): Promise<void> {
  const publisher = await start();
  onCommand(async message => {
    if (message.kind === 'publish') {
      const count = Number(message.count);
      const cpuAtStart = process.cpuUsage();
      const t0 = now();
      await publishAll(
        count,
        Number(message.window),
        Number(message.firstSeq),
        publisher.publish,
      );
      report({
        kind: 'published',
        phase: message.phase,
        count,
        t0,
        tEnd: now(),
        cpuUs: cpuSince(cpuAtStart),
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
