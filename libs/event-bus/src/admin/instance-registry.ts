import type { EventTransport } from '../interfaces/transport.interface.js';
import { adminKeys } from '../transports/redis/redis-keys.util.js';
import {
  closeClient,
  type RedisClient,
} from '../transports/redis/redis-client.factory.js';
import { RedisTransport } from '../transports/redis/redis.transport.js';
import type { InstanceReport } from './instance-report.js';

/**
 * Where instances leave their reports for every dashboard to read. On Redis,
 * one hash (a single key, so it works on a cluster): instance id → report; a
 * report older than its `staleAfterMs` is dropped by whoever reads it, so an
 * instance that died without saying so disappears by itself.
 */
export interface InstanceRegistry {
  write(report: InstanceReport): Promise<void>;
  /** The fresh reports, by instance id. */
  list(): Promise<InstanceReport[]>;
  remove(instanceId: string): Promise<void>;
  close(): Promise<void>;
}

const isFresh = (report: InstanceReport, now: number) =>
  now - report.reportedAt <= report.staleAfterMs;

const byId = (a: InstanceReport, b: InstanceReport) =>
  a.instanceId.localeCompare(b.instanceId);

/** The memory transport runs in one process: it knows only its own report. */
class MemoryInstanceRegistry implements InstanceRegistry {
  private readonly reports = new Map<string, InstanceReport>();

  async write(report: InstanceReport): Promise<void> {
    this.reports.set(report.instanceId, report);
  }

  async list(): Promise<InstanceReport[]> {
    const now = Date.now();
    return [...this.reports.values()].filter(r => isFresh(r, now)).sort(byId);
  }

  async remove(instanceId: string): Promise<void> {
    this.reports.delete(instanceId);
  }

  async close(): Promise<void> {}
}

class RedisInstanceRegistry implements InstanceRegistry {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.key = adminKeys.instances(prefix);
  }

  async write(report: InstanceReport): Promise<void> {
    await this.redis.hset(this.key, report.instanceId, JSON.stringify(report));
  }

  async list(): Promise<InstanceReport[]> {
    const all = await this.redis.hgetall(this.key);
    const now = Date.now();
    const fresh: InstanceReport[] = [];
    const stale: string[] = [];
    for (const [id, text] of Object.entries(all)) {
      let report: InstanceReport | undefined;
      try {
        report = JSON.parse(text) as InstanceReport;
      } catch {
        report = undefined;
      }
      if (
        report &&
        typeof report.reportedAt === 'number' &&
        isFresh(report, now)
      )
        fresh.push(report);
      else stale.push(id);
    }
    if (stale.length > 0) await this.redis.hdel(this.key, ...stale);
    return fresh.sort(byId);
  }

  async remove(instanceId: string): Promise<void> {
    await this.redis.hdel(this.key, instanceId);
  }

  close(): Promise<void> {
    return closeClient(this.redis);
  }
}

/** The registry for the bus' transport: Redis (a connection of its own) or this process. */
export function createInstanceRegistry(
  transport: EventTransport,
  channelPrefix: string | undefined,
): InstanceRegistry {
  return transport instanceof RedisTransport
    ? new RedisInstanceRegistry(
        transport.createClient('admin'),
        channelPrefix ?? '',
      )
    : new MemoryInstanceRegistry();
}
