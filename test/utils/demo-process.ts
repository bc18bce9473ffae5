import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForPort } from '../setup/redis-server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The compiled demo app (dist/src/main.js) in a child process, as `npm start` runs it. */
export class DemoProcess {
  readonly output: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.on('data', chunk => this.output.push(String(chunk)));
    child.stderr?.on('data', chunk => this.output.push(String(chunk)));
  }

  static async start(
    port: number,
    env: Record<string, string | undefined> = {},
  ): Promise<DemoProcess> {
    const script = join(ROOT, 'dist', 'src', 'main.js');
    if (!existsSync(script))
      throw new Error(`${script} is missing: run "npm run build" first.`);
    const childEnv: Record<string, string | undefined> = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NO_COLOR: '1',
      ...env,
    };
    for (const key of Object.keys(childEnv))
      if (childEnv[key] === undefined) delete childEnv[key];
    const child = spawn(process.execPath, [script], {
      env: childEnv as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const demo = new DemoProcess(child, port);
    try {
      await waitForPort(port, 20_000);
    } catch {
      child.kill('SIGKILL');
      throw new Error(
        `demo did not listen on ${port}: ${demo.output.join('')}`,
      );
    }
    return demo;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async json<T = unknown>(
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(this.url(path), init);
    return { status: response.status, body: (await response.json()) as T };
  }

  async text(
    path: string,
  ): Promise<{ status: number; body: string; contentType: string | null }> {
    const response = await fetch(this.url(path));
    return {
      status: response.status,
      body: await response.text(),
      contentType: response.headers.get('content-type'),
    };
  }

  /** True while the process has not exited (a restart would show as an exit). */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: the process dies without running any shutdown hook. */
  async kill(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise(resolve => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }

  /**
   * SIGTERM, as an orchestrator would. Nest's shutdown hooks close the app and
   * then re-raise the signal, so a clean stop ends with signal SIGTERM.
   */
  async stop(): Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return { code: this.child.exitCode, signal: this.child.signalCode };
    }
    const exited = new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
    }>(resolve =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const result = await exited;
    clearTimeout(timer);
    return result;
  }
}
