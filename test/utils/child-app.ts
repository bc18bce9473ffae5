import type { EventEnvelope } from '@shared-infra/event-bus';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collector } from './collector.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** An event as a child app reports it. */
export interface ChildEvent {
  handler: string;
  event: EventEnvelope;
}

/**
 * A compiled fixture app (dist/test/fixtures/<name>.js) running in a child
 * process, driven over IPC. `npm test` builds before running Jest.
 */
export class ChildApp {
  readonly events = new Collector<ChildEvent>();
  /** Other reports (`kind` other than event/reply/ready), e.g. a worker's `handled`. */
  readonly reports = new Collector<{
    kind: string;
    id?: string;
    pid?: number;
  }>();
  readonly stderr: string[] = [];
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();

  private constructor(private readonly child: ChildProcess) {
    child.on(
      'message',
      (message: {
        kind: string;
        id?: number;
        result?: unknown;
        error?: { name: string; message: string };
        handler?: string;
        event?: EventEnvelope;
      }) => {
        if (message.kind === 'event')
          this.events.push({
            handler: message.handler!,
            event: message.event!,
          });
        else if (message.kind !== 'reply' && message.kind !== 'ready')
          this.reports.push(message as { kind: string });
        if (message.kind === 'reply' && message.id !== undefined) {
          const waiter = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.error)
            waiter?.reject(
              Object.assign(new Error(message.error.message), {
                name: message.error.name,
              }),
            );
          else waiter?.resolve(message.result);
        }
      },
    );
    child.stderr?.on('data', chunk => this.stderr.push(String(chunk)));
  }

  static async start(
    fixture: string,
    env: Record<string, string>,
  ): Promise<ChildApp> {
    const script = join(ROOT, 'dist', 'test', 'fixtures', `${fixture}.js`);
    if (!existsSync(script)) {
      throw new Error(
        `${script} is missing: run "npm run build" first (npm test does it for you).`,
      );
    }
    const child = fork(script, [], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const app = new ChildApp(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${fixture} did not start in 15 s: ${app.stderr.join('')}`,
            ),
          ),
        15_000,
      );
      child.on('message', (message: { kind: string }) => {
        if (message.kind === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', code => {
        clearTimeout(timer);
        reject(
          new Error(`${fixture} exited with ${code}: ${app.stderr.join('')}`),
        );
      });
    });
    return app;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** True once the process has exited (any way). */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The signal that ended the process (SIGTERM after a graceful stop: Nest re-raises it), or null. */
  get exitSignal(): NodeJS.Signals | null {
    return this.child.signalCode;
  }

  /** Resolves when the process exits. */
  waitForExit(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise(resolve => this.child.once('exit', () => resolve()));
  }

  /** Sends a signal (SIGKILL: a crash; SIGTERM: a graceful stop). */
  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  request<T = unknown>(
    command: Record<string, unknown>,
    timeoutMs = 10_000,
  ): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(
            `no reply to ${JSON.stringify(command)} in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, {
        resolve: value => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: error => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ ...command, id });
    });
  }

  publish(type: string, data: unknown): Promise<{ eventId: string }> {
    return this.request({ cmd: 'publish', type, data });
  }

  /** Closes the app gracefully, or kills it if it does not exit within 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>(resolve =>
      this.child.once('exit', () => resolve()),
    );
    this.request({ cmd: 'close' }, 5000).catch(() =>
      this.child.kill('SIGKILL'),
    );
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
