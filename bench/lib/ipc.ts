/**
 * The child side of the benches' IPC: the parent forks a compiled bench script
 * with an IPC channel, sends commands with `process.send` and waits for replies.
 * A child whose parent goes away exits at once, so no bench process outlives a run.
 */

/** A message between the bench runner and its children. */
export interface BenchMessage {
  kind: string;
  [key: string]: unknown;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** CPU time (user + system) this process used since `since`, in microseconds. */
export function cpuSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** Sends a message to the parent (no-op without an IPC channel). */
export function report(message: BenchMessage): void {
  process.send?.(message);
}

/** Memory of this process in MB: resident set now, its peak, and the V8 heap in use. */
export function memory(): {
  rssMb: number;
  maxRssMb: number;
  heapUsedMb: number;
} {
  const usage = process.memoryUsage();
  return {
    rssMb: usage.rss / 1024 / 1024,
    // resourceUsage().maxRSS is in kilobytes.
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: usage.heapUsed / 1024 / 1024,
  };
}

/**
 * Routes the parent's commands to `handle`; a thrown error goes back as
 * `{ kind: 'error' }`. Exits when the parent disconnects.
 */
export function onCommand(
  handle: (message: BenchMessage) => Promise<void> | void,
): void {
  if (!process.send) {
    process.stderr.write(
      'This bench script runs under bench/run.ts (npm run bench), not on its own.\n',
    );
    process.exit(2);
  }
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: BenchMessage) => {
    Promise.resolve()
      .then(() => handle(message))
      .catch((error: Error) =>
        report({ kind: 'error', message: error.stack ?? error.message }),
      );
  });
}

/** Reports a failure to start and exits. */
export function fail(error: unknown): never {
  const text =
    error instanceof Error ? (error.stack ?? error.message) : String(error);
  report({ kind: 'error', message: text });
  process.stderr.write(`${text}\n`);
  process.exit(1);
}
