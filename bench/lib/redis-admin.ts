import { Redis } from 'ioredis';
import { RedisServer } from '../../test/setup/redis-server.js';
import { killAllChildren } from './child.js';
import { machineInfo, type MachineInfo } from './stats.js';

/**
 * Configures a bench's redis-server and reads its version. A subscriber that
 * falls behind must not be disconnected mid-run by the default pubsub
 * output-buffer limit (32 MB hard): both sides run with it off.
 */
export async function prepareRedis(admin: Redis): Promise<string> {
  await admin.config('SET', 'client-output-buffer-limit', 'pubsub 0 0 0');
  const info = await admin.info('server');
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}

/** CPU time redis-server has used since it started (user + system, all threads), in microseconds. */
export async function redisCpuUs(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/** The throwaway redis-server of a bench run, with an admin connection. */
export interface BenchRedis {
  url: string;
  admin: Redis;
  machine: MachineInfo;
}

/**
 * The lifecycle every bench runner shares: `startRedis()` starts a throwaway
 * redis-server (configured by `prepareRedis`) and logs the machine; `stop()`
 * kills the children and stops Redis, and runs on SIGINT / SIGTERM until then.
 */
export function benchLifecycle(log: (line: string) => void): {
  startRedis(): Promise<BenchRedis>;
  stop(): Promise<void>;
} {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  const stop = async (): Promise<void> => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    killAllChildren();
    admin?.disconnect();
    admin = undefined;
    const running = server;
    server = undefined;
    await running?.stop();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping children and redis-server`);
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    stop,
    async startRedis(): Promise<BenchRedis> {
      server = await RedisServer.start();
      const connection = new Redis(server.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
      });
      admin = connection;
      await connection.connect();
      const machine = machineInfo(await prepareRedis(connection));
      log(
        `redis-server ${machine.redis} on ${server.url}; ${machine.cpuCount} x ${machine.cpuModel}, node ${machine.node}`,
      );
      return { url: server.url, admin: connection, machine };
    },
  };
}
