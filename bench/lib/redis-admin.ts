import type { Redis } from 'ioredis';

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
  const field = (name: string): number => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}
