import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { BenchMessage } from './ipc.js';

const live = new Set<ChildProcess>();

/**
 * A compiled bench script (dist/bench/...js) in a child process, driven over IPC.
 * Messages are queued until someone waits for their kind; an `error` message or
 * the child's exit rejects every wait.
 */
export class BenchChild {
  private readonly inbox: BenchMessage[] = [];
  private readonly waiters: Array<{
    kind: string;
    resolve: (message: BenchMessage) => void;
    reject: (error: Error) => void;
    timer: NodeJS.Timeout;
  }> = [];
  private failure?: Error;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: BenchMessage) => {
      if (message.kind === 'error') {
        this.failWith(new Error(`${name} failed: ${String(message.message)}`));
        return;
      }
      const index = this.waiters.findIndex(w => w.kind === message.kind);
      if (index === -1) {
        this.inbox.push(message);
        return;
      }
      const [waiter] = this.waiters.splice(index, 1);
      clearTimeout(waiter.timer);
      waiter.resolve(message);
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      this.failWith(
        new Error(`${name} exited (code ${code}, signal ${signal})`),
      );
    });
  }

  /** Forks `script` with an IPC channel; stdout and stderr are the parent's. */
  static start(
    name: string,
    script: string,
    env: Record<string, string>,
    execArgv: string[] = [],
  ): BenchChild {
    if (!existsSync(script)) {
      throw new Error(
        `${script} is missing: run "npm run build" first (npm run bench does it).`,
      );
    }
    // BENCH_CHILD_ARGS adds node flags to every child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const extra =
      process.env.BENCH_CHILD_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = fork(script, [], {
      env: { ...process.env, ...env },
      execArgv: [...execArgv, ...extra],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(child);
    return new BenchChild(name, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: BenchMessage): void {
    if (this.failure) throw this.failure;
    this.child.send(message);
  }

  /** The next message of `kind` (possibly one that already arrived). */
  waitFor(kind: string, timeoutMs: number): Promise<BenchMessage> {
    const index = this.inbox.findIndex(m => m.kind === kind);
    if (index !== -1) return Promise.resolve(this.inbox.splice(index, 1)[0]);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.waiters.findIndex(w => w.timer === timer);
        if (at !== -1) this.waiters.splice(at, 1);
        reject(
          new Error(`${this.name}: no "${kind}" message in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.waiters.push({ kind, resolve, reject, timer });
    });
  }

  /** Asks the child to exit; kills it when it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>(resolve =>
      child.once('exit', () => resolve()),
    );
    if (child.connected) child.send({ kind: 'exit' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  private failWith(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(this.failure);
    }
  }
}

/** Kills every bench child still running (SIGKILL); for error and signal paths. */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null)
      child.kill('SIGKILL');
  }
  live.clear();
}

/** What a phase is: its name, its events, the publishing window and, for a fixed-rate phase, the rate. */
export interface PhaseSpec {
  name: string;
  count: number;
  window: number;
  /** Events per second; without it the publisher goes as fast as `window` allows. */
  rate?: number;
  /** Number of the phase's first event (default 0). */
  firstSeq?: number;
}

/**
 * One phase of a bench: arms the receiving child for `count` deliveries, has
 * the publishing child send them (the shared publisher loop), and waits for
 * both reports: the receiver's `done` (d) and the publisher's `published` (p).
 * Receiver and publisher may be one child (the in-process bench).
 */
export async function runPhase(
  receiver: BenchChild,
  publisher: BenchChild,
  { name, count, window, rate, firstSeq = 0 }: PhaseSpec,
): Promise<{ d: BenchMessage; p: BenchMessage }> {
  receiver.send({ kind: 'expect', phase: name, count });
  await receiver.waitFor('armed', 10_000);
  // 30 s, plus three times the phase's planned length at a rate; 1 ms per event (>= 1,000/s) otherwise.
  const timeout =
    rate !== undefined ? 30_000 + (count / rate) * 3000 : 30_000 + count;
  const delivered = receiver.waitFor('done', timeout);
  const published = publisher.waitFor('published', timeout);
  publisher.send({
    kind: 'publish',
    phase: name,
    count,
    window,
    ...(rate !== undefined ? { rate } : {}),
    firstSeq,
  });
  const [d, p] = await Promise.all([delivered, published]);
  return { d, p };
}
