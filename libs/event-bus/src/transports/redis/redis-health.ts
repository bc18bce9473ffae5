import type { Cluster } from 'ioredis';
import type { ConnectionHealth } from '../../interfaces/stats.interface.js';
import { within } from '../../within.util.js';
import type { RedisClient } from './redis-client.factory.js';

const TIMED_OUT = Symbol('timed out');

/** Pings every master that serves slots, on the Cluster's connection to it. */
export function pingMasters(
  cluster: Cluster,
  timeoutMs: number,
): Array<Promise<ConnectionHealth>> {
  const masters = new Set(cluster.slots.filter(Boolean).map(keys => keys[0]));
  const connections = new Map(
    cluster
      .nodes('master')
      .map(node => [`${node.options.host}:${node.options.port}`, node]),
  );
  return [...masters].sort().map(key => {
    const name = `redis:master ${key}`;
    const node = connections.get(key);
    if (!node) {
      // ioredis drops a node's connection when it ends and waits for a slot refresh to learn what replaced it.
      return Promise.resolve({
        name,
        status: 'down' as const,
        error: 'connection lost; waiting for failover or restart',
      });
    }
    return pingClient(name, node, timeoutMs, false);
  });
}

/** One connection's health: `up` with the PING's latency, or `down` with why. */
export async function pingClient(
  name: string,
  client: RedisClient | undefined,
  timeoutMs: number,
  requireReady = true,
): Promise<ConnectionHealth> {
  // A Cluster node connection may be mid-connect after a slot refresh: the ping itself tells.
  if (!client || (requireReady && client.status !== 'ready')) {
    return {
      name,
      status: 'down',
      error: `connection is ${client?.status ?? 'not created'}`,
    };
  }
  const started = performance.now();
  try {
    if ((await within(client.ping(), timeoutMs, TIMED_OUT)) === TIMED_OUT) {
      return {
        name,
        status: 'down',
        error: `timeout of ${timeoutMs}ms exceeded`,
      };
    }
    return {
      name,
      status: 'up',
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
    };
  } catch (error) {
    return { name, status: 'down', error: (error as Error).message };
  }
}
