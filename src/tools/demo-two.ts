/**
 * `npm run demo:two`: two demo instances on one Redis, to see a page on one
 * instance follow work done on the other.
 *
 * Uses REDIS_URL when it is set; otherwise starts a throwaway redis-server on a
 * free loopback port (data in a temporary folder, removed at the end). The
 * instances listen on PORTS (default 3000,3001) and share DATA_DIR (default
 * ./data/uploads), JWT_SECRET and SERVICE_NAME. Ctrl-C stops the instances
 * (gracefully), then Redis.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'main.js');
const HOST = process.env.HOST ?? '127.0.0.1';
const PORTS = (process.env.PORTS ?? '3000,3001')
  .split(',')
  .map(p => Number(p.trim()));
const REDIS_CANDIDATES = [
  '/usr/bin/redis-server',
  '/usr/local/bin/redis-server',
  '/usr/sbin/redis-server',
  '/opt/homebrew/bin/redis-server',
];

const children: Array<{ name: string; child: ChildProcess }> = [];
let redisDir: string | undefined;
let stopping = false;

function log(line: string): void {
  process.stdout.write(`[demo:two] ${line}\n`);
}

function findRedisServer(): string | undefined {
  if (process.env.REDIS_SERVER_BIN) return process.env.REDIS_SERVER_BIN;
  try {
    const found = execFileSync('sh', ['-c', 'command -v redis-server'], {
      encoding: 'utf8',
    }).trim();
    if (found) return found;
  } catch {
    // not on PATH
  }
  return REDIS_CANDIDATES.find(path => existsSync(path));
}

function portIsFree(port: number, host = HOST): Promise<boolean> {
  return new Promise(resolve => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address ? address.port : 0),
      );
    });
  });
}

async function waitForPort(
  port: number,
  host: string,
  timeoutMs: number,
  child: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error('it exited');
    const open = await new Promise<boolean>(resolve => {
      const socket = createConnection({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
}

/** Runs a child in its own process group (Ctrl-C reaches only this script, which stops them in order). */
function run(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  quiet = false,
): ChildProcess {
  const child = spawn(command, args, {
    env,
    stdio: ['ignore', quiet ? 'ignore' : 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = (chunk: Buffer) =>
    String(chunk)
      .split('\n')
      .filter(line => line.length > 0)
      .map(line => `[${name}] ${line}\n`)
      .join('');
  child.stdout?.on('data', chunk => process.stdout.write(prefix(chunk)));
  child.stderr?.on('data', chunk => process.stderr.write(prefix(chunk)));
  child.once('error', error => {
    log(`${name} could not run ${command}: ${error.message}`);
    void stopAll(1);
  });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      log(
        `${name} exited unexpectedly (${signal ?? `code ${code}`}): stopping everything.`,
      );
      void stopAll(1);
    }
  });
  children.push({ name, child });
  return child;
}

function stop(
  child: ChildProcess,
  signal: NodeJS.Signals,
  timeoutMs = 12_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  return new Promise(resolve => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping the instances…');
  // Apps first (they drain and say goodbye through Redis), then Redis.
  await Promise.all(
    children.filter(c => c.name !== 'redis').map(c => stop(c.child, 'SIGTERM')),
  );
  const redis = children.find(c => c.name === 'redis');
  if (redis) {
    log('stopping redis-server…');
    await stop(redis.child, 'SIGTERM');
  }
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  log('stopped.');
  process.exit(code);
}

async function main(): Promise<void> {
  if (!existsSync(MAIN))
    throw new Error(
      `${MAIN} is missing: run "npm run build" first (npm run demo:two does).`,
    );
  if (
    PORTS.length !== 2 ||
    PORTS.some(p => !Number.isInteger(p) || p <= 0 || p > 65535)
  )
    throw new Error(
      `PORTS must be two ports, e.g. PORTS=3000,3001 (got ${process.env.PORTS}).`,
    );
  for (const port of PORTS) {
    if (!(await portIsFree(port)))
      throw new Error(
        `port ${port} on ${HOST} is in use: stop what uses it, or pick others (PORTS=4000,4001 npm run demo:two).`,
      );
  }

  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const binary = findRedisServer();
    if (!binary) {
      throw new Error(
        'redis-server was not found. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis), ' +
          'set REDIS_SERVER_BIN to it, or point REDIS_URL at a running Redis (docker run -p 6379:6379 redis:7).',
      );
    }
    const port = await freePort();
    redisDir = mkdtempSync(join(tmpdir(), 'demo-two-redis-'));
    // Its stdout (banner, notices) is left out; errors still show.
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      redisDir,
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
    ];
    const redis = run('redis', binary, args, process.env, true);
    await waitForPort(port, '127.0.0.1', 10_000, redis).catch(error => {
      throw new Error(
        `redis-server did not start: ${(error as Error).message}`,
      );
    });
    redisUrl = `redis://127.0.0.1:${port}`;
    log(`started a throwaway redis-server on ${redisUrl} (${binary})`);
  } else {
    log(`using REDIS_URL ${redisUrl.replace(/\/\/([^@/]*)@/, '//***@')}`);
  }

  const names = ['A', 'B'];
  const apps = PORTS.map((port, index) =>
    run(`${names[index]} :${port}`, process.execPath, [MAIN], {
      ...process.env,
      PORT: String(port),
      HOST,
      REDIS_URL: redisUrl,
      // Both instances must see the same uploads (the worker may run on the other one).
      DATA_DIR: process.env.DATA_DIR ?? join('data', 'uploads'),
    }),
  );
  await Promise.all(
    apps.map((child, index) => waitForPort(PORTS[index], HOST, 30_000, child)),
  );

  const shown = HOST === '0.0.0.0' ? 'localhost' : HOST;
  process.stdout.write(
    [
      '',
      `  Two demo instances on one Redis (${redisUrl}${redisDir ? ', throwaway' : ''}):`,
      `    A  http://${shown}:${PORTS[0]}/`,
      `    B  http://${shown}:${PORTS[1]}/`,
      '  Open A and B in two windows, sign in as the same user on both, and upload on one:',
      '  the other shows the progress and the notifications. Ctrl-C stops everything.',
      '',
      '',
    ].join('\n'),
  );
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
// Never leave children behind, whatever happens to this process.
process.on('exit', () => {
  for (const { child } of children)
    if (child.exitCode === null && child.signalCode === null)
      child.kill('SIGKILL');
});

main().catch(error => {
  log(`error: ${(error as Error).message}`);
  void stopAll(1);
});
