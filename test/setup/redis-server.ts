import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const CANDIDATES = [
  '/usr/bin/redis-server',
  '/usr/local/bin/redis-server',
  '/usr/sbin/redis-server',
];

function onPath(binary: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${binary}`], {
        encoding: 'utf8',
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** Path of redis-server, or undefined. */
export function findRedisServer(): string | undefined {
  return (
    process.env.REDIS_SERVER_BIN ??
    onPath('redis-server') ??
    CANDIDATES.find(p => existsSync(p))
  );
}

/** Path of redis-cli next to redis-server. */
export function findRedisCli(): string | undefined {
  return (
    onPath('redis-cli') ??
    ['/usr/bin/redis-cli', '/usr/local/bin/redis-cli'].find(p => existsSync(p))
  );
}

/**
 * Finds redis-server or installs Debian's package when running as root. Throws
 * with the fix when neither works.
 */
export function ensureRedisInstalled(
  log: (line: string) => void = line => process.stderr.write(line + '\n'),
): string {
  const found = findRedisServer();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(
      'redis-server is not installed and this is not root: install it (sudo apt-get install -y redis-server) or set REDIS_SERVER_BIN.',
    );
  }
  log(
    '[test setup] redis-server not found: installing Debian package redis-server (apt-get update, then install)...',
  );
  execFileSync('apt-get', ['update', '-qq'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const installed = findRedisServer();
  if (!installed)
    throw new Error(
      'apt-get installed redis-server but it is not on PATH; set REDIS_SERVER_BIN.',
    );
  log(`[test setup] installed ${installed}`);
  return installed;
}

/** Resolves when something accepts TCP connections on the port, or rejects after timeoutMs. */
export async function waitForPort(
  port: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>(resolve => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`Nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

export interface RedisServerOptions {
  port?: number;
  /** Extra `--name value` arguments, e.g. { appendonly: 'yes' }. */
  config?: Record<string, string>;
}

/**
 * A throwaway redis-server on a free loopback port, with its data in a temp
 * folder. `kill()` is SIGKILL; `start()` again reuses the port and folder.
 */
export class RedisServer {
  readonly port: number;
  private process?: ChildProcess;
  private readonly dir: string;

  private constructor(
    port: number,
    private readonly options: RedisServerOptions,
  ) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'eventbus-redis-'));
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), options);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const binary = ensureRedisInstalled();
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
    ];
    for (const [key, value] of Object.entries(this.options.config ?? {}))
      args.push(`--${key}`, value);
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', chunk => (stderr += String(chunk)));
    this.process = child;
    try {
      await waitForPort(this.port);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(
        `redis-server did not start on port ${this.port}: ${stderr || (error as Error).message}`,
      );
    }
  }

  /** Stops the server at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stops the server and removes its folder. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>(resolve => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}
