import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import {
  ensureRedisInstalled,
  findRedisCli,
  waitForPort,
} from './redis-server.js';

const run = promisify(execFile);

/** Options of `RedisCluster.start()`. */
export interface RedisClusterStartOptions {
  /**
   * Master nodes; every slot is spread over them and there are no replicas.
   * Fewer than 3 (which `redis-cli --cluster create` refuses) are joined by
   * hand: `CLUSTER ADDSLOTSRANGE` and `CLUSTER MEET`.
   * @default 3
   */
  masters?: number;
  /**
   * How long start and restart wait for `cluster_state:ok` on every node, in ms.
   * @default 20000
   */
  timeoutMs?: number;
}

/** Address of one cluster node, in the shape ioredis' `Cluster` takes. */
export interface RedisClusterNode {
  host: '127.0.0.1';
  port: number;
}

interface NodeProcess {
  port: number;
  /** Cluster bus port, chosen explicitly (Redis 7 `cluster-port`) so that port + 10000 need not be free. */
  busPort: number;
  dir: string;
  process?: ChildProcess;
  stderr: string;
}

/**
 * A throwaway Redis Cluster of `masters` redis-server processes on free
 * loopback ports, created with `redis-cli --cluster create` and ready
 * (`cluster_state:ok` on every node) when `start()` resolves.
 *
 * `stop()` is safe to call at any point, including after a failed start, and
 * more than once.
 *
 * @example
 * const cluster = await RedisCluster.start({ masters: 3 });
 * const client = new Cluster(cluster.nodes);
 * await cluster.stop();
 */
export class RedisCluster {
  private readonly dir = mkdtempSync(join(tmpdir(), 'eventbus-cluster-'));
  private readonly members: NodeProcess[] = [];
  private stopped = false;

  private constructor(private readonly timeoutMs: number) {}

  /** Starts the nodes, joins them into one cluster and waits until it serves every slot. */
  static async start(
    options: RedisClusterStartOptions = {},
  ): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    if (!Number.isInteger(masters) || masters < 1) {
      throw new Error(`RedisCluster needs at least 1 master, got ${masters}.`);
    }
    const cluster = new RedisCluster(options.timeoutMs ?? 20_000);
    try {
      for (let i = 0; i < masters; i++) await cluster.addNode();
      if (masters >= 3) await cluster.create();
      else await cluster.join();
      await cluster.waitForState('ok');
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Startup nodes for ioredis (every master). */
  get nodes(): RedisClusterNode[] {
    return this.members.map(({ port }) => ({
      host: '127.0.0.1' as const,
      port,
    }));
  }

  /**
   * Kills node `i` at once (SIGKILL), as a crash would. With no replicas its
   * slots are uncovered, so the others report `cluster_state:fail` after the
   * node timeout (2 s).
   */
  async killNode(i: number): Promise<void> {
    await this.signal(this.member(i), 'SIGKILL');
  }

  /**
   * Restarts node `i` on the same ports with its `nodes.conf`, so it rejoins
   * with the slots it had; resolves when every node reports `cluster_state:ok`.
   */
  async startNode(i: number): Promise<void> {
    const member = this.member(i);
    if (isAlive(member)) return;
    await this.spawn(member);
    await this.waitForState('ok');
  }

  /** `CLUSTER INFO` of node `i`, as text. */
  async clusterInfo(i: number): Promise<string> {
    return this.command(i, 'CLUSTER', 'INFO');
  }

  /** Runs one command on node `i` with redis-cli and returns its output, e.g. `command(0, 'CLIENT', 'LIST')`. */
  async command(i: number, ...args: string[]): Promise<string> {
    return this.cli(this.member(i).port, ...args);
  }

  /** True while node `i`'s process runs (false after `killNode(i)` until `startNode(i)`). */
  isRunning(i: number): boolean {
    return isAlive(this.member(i));
  }

  /** Resolves when every running node reports `cluster_state:<state>`. */
  async waitForState(
    state: 'ok' | 'fail',
    timeoutMs = this.timeoutMs,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const running = this.members.filter(isAlive);
      const states = await Promise.all(
        running.map(async m => {
          try {
            return (
              /cluster_state:(\w+)/.exec(
                await this.cli(m.port, 'CLUSTER', 'INFO'),
              )?.[1] ?? 'unknown'
            );
          } catch (error) {
            return `error (${(error as Error).message.split('\n')[0]})`;
          }
        }),
      );
      if (states.length > 0 && states.every(s => s === state)) return;
      last = running.map((m, k) => `${m.port}: ${states[k]}`).join(', ');
      if (Date.now() > deadline) {
        throw new Error(
          `Redis Cluster did not reach cluster_state:${state} within ${timeoutMs} ms (${last || 'no node running'}).`,
        );
      }
      await new Promise(r => setTimeout(r, 100));
    }
  }

  /** Kills every node and removes the data folder. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // NOTE: SIGKILL rather than SHUTDOWN: nothing here is worth saving, and a
    // node that lost its peers can take the node timeout to answer.
    await Promise.all(this.members.map(m => this.signal(m, 'SIGKILL')));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private member(i: number): NodeProcess {
    const member = this.members[i];
    if (!member)
      throw new Error(
        `RedisCluster has nodes 0..${this.members.length - 1}; there is no node ${i}.`,
      );
    return member;
  }

  /**
   * Starts one more node. A free port can be taken by someone else before
   * redis-server binds it (other suites start servers in parallel), so a node
   * that does not come up is retried on fresh ports.
   */
  private async addNode(): Promise<void> {
    const taken = new Set(this.members.flatMap(m => [m.port, m.busPort]));
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freshPort(taken);
      const busPort = await freshPort(new Set([...taken, port]));
      const member: NodeProcess = {
        port,
        busPort,
        dir: join(this.dir, String(port)),
        stderr: '',
      };
      mkdirSync(member.dir, { recursive: true });
      this.members.push(member);
      try {
        await this.spawn(member);
        return;
      } catch (error) {
        lastError = error as Error;
        await this.signal(member, 'SIGKILL');
        this.members.pop();
      }
    }
    throw lastError ?? new Error('redis-server did not start');
  }

  private async spawn(member: NodeProcess): Promise<void> {
    if (this.stopped) throw new Error('RedisCluster is stopped.');
    const binary = ensureRedisInstalled();
    const args = [
      '--port',
      String(member.port),
      '--cluster-port',
      String(member.busPort),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(this.dir, `nodes-${member.port}.conf`),
      '--cluster-node-timeout',
      '2000',
      '--appendonly',
      'no',
      '--save',
      '',
      '--dir',
      member.dir,
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
    ];
    member.stderr = '';
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', chunk => (member.stderr += String(chunk)));
    member.process = child;
    try {
      await waitForPort(member.port);
    } catch (error) {
      throw new Error(
        `redis-server (cluster node) did not start on port ${member.port}: ${member.stderr || (error as Error).message}`,
      );
    }
  }

  private async create(): Promise<void> {
    const cli = redisCli();
    const addresses = this.members.map(m => `127.0.0.1:${m.port}`);
    try {
      await run(
        cli,
        [
          '--cluster',
          'create',
          ...addresses,
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        {
          timeout: this.timeoutMs,
        },
      );
    } catch (error) {
      const { stdout, stderr, message } = error as Error & {
        stdout?: string;
        stderr?: string;
      };
      throw new Error(
        `redis-cli --cluster create ${addresses.join(' ')} failed: ${stderr || stdout || message}`,
      );
    }
  }

  /** What `--cluster create` does, for 1 or 2 masters: slots split in even ranges, nodes met. */
  private async join(): Promise<void> {
    const count = this.members.length;
    for (let i = 0; i < count; i++) {
      // NOTE: a node learns its own address from a peer's MEET; a lone one would list its
      // slots under an empty IP (CLUSTER SLOTS), which clients cannot connect to.
      await this.cli(
        this.members[i].port,
        'CONFIG',
        'SET',
        'cluster-announce-ip',
        '127.0.0.1',
      );
      const from = Math.floor((16384 * i) / count);
      const to = Math.floor((16384 * (i + 1)) / count) - 1;
      await this.cli(
        this.members[i].port,
        'CLUSTER',
        'ADDSLOTSRANGE',
        String(from),
        String(to),
      );
    }
    for (let i = 1; i < count; i++)
      await this.cli(
        this.members[0].port,
        'CLUSTER',
        'MEET',
        '127.0.0.1',
        String(this.members[i].port),
        String(this.members[i].busPort),
      );
  }

  private async cli(port: number, ...command: string[]): Promise<string> {
    const { stdout } = await run(
      redisCli(),
      ['-h', '127.0.0.1', '-p', String(port), ...command],
      { timeout: 2000 },
    );
    return stdout;
  }

  private async signal(
    member: NodeProcess,
    signal: NodeJS.Signals,
  ): Promise<void> {
    const child = member.process;
    member.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>(resolve => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

function isAlive(member: NodeProcess): boolean {
  return (
    !!member.process &&
    member.process.exitCode === null &&
    member.process.signalCode === null
  );
}

function redisCli(): string {
  const cli = findRedisCli();
  if (!cli) {
    throw new Error(
      'redis-cli is not installed: it comes with redis-server (sudo apt-get install -y redis-server, or redis-tools).',
    );
  }
  return cli;
}

/** A free loopback port that is not in `taken` (freePort may hand out the same port twice in a row). */
async function freshPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!taken.has(port)) return port;
  }
}
