import type { Cluster, Redis } from 'ioredis';
import { replayAfter } from '../../rooms/memory-room-history.js';
import type {
  ResolvedRoomHistoryOptions,
  RoomHistoryEntry,
  RoomHistoryLimits,
  RoomHistoryStore,
  RoomReplay,
} from '../../rooms/room-history.interface.js';
import { roomHistoryKey } from './redis-keys.util.js';

/**
 * Room history on Redis: one capped stream per room, `{prefix}room:{room}:history`,
 * with fields `i` (event id) and `e` (envelope). XADD trims to about `maxLength`
 * entries and renews the key's expiry, so a quiet room's history disappears after
 * `maxAgeMs`; reads skip entries older than that.
 */
export class RedisRoomHistory implements RoomHistoryStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly options: ResolvedRoomHistoryOptions,
  ) {}

  key(room: string): string {
    return roomHistoryKey(this.prefix, room);
  }

  async append(
    room: string,
    eventId: string,
    payload: string,
    limits: RoomHistoryLimits = this.options,
  ): Promise<void> {
    const key = this.key(room);
    // One MULTI on one key: on Redis Cluster it stays in one slot.
    await this.redis
      .multi()
      .xadd(
        key,
        'MAXLEN',
        '~',
        limits.maxLength,
        '*',
        'i',
        eventId,
        'e',
        payload,
      )
      .pexpire(key, limits.maxAgeMs)
      .exec();
  }

  async since(
    room: string,
    lastEventId: string,
    limits: RoomHistoryLimits = this.options,
  ): Promise<RoomReplay> {
    return replayAfter(await this.entries(room, limits), lastEventId);
  }

  async entries(
    room: string,
    limits: RoomHistoryLimits = this.options,
  ): Promise<RoomHistoryEntry[]> {
    const oldest = Date.now() - limits.maxAgeMs;
    // Stream ids start with the ms time Redis added them, so '<oldest>' skips the expired ones.
    const entries = await this.redis.xrange(
      this.key(room),
      String(oldest),
      '+',
    );
    // XADD ~ trims whole nodes: keep the promise of at most maxLength.
    return entries.slice(-limits.maxLength).map(([, fields]) => ({
      id: field(fields, 'i'),
      payload: field(fields, 'e'),
    }));
  }
}

function field(fields: string[], name: string): string {
  for (let i = 0; i < fields.length - 1; i += 2)
    if (fields[i] === name) return fields[i + 1];
  return '';
}
