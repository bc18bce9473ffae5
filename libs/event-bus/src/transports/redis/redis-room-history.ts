import type { Cluster, Redis } from 'ioredis';
import { replayAfter } from '../../rooms/memory-room-history.js';
import type {
  ResolvedRoomHistoryOptions,
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

  async append(room: string, eventId: string, payload: string): Promise<void> {
    const key = this.key(room);
    // One MULTI on one key: on Redis Cluster it stays in one slot.
    await this.redis
      .multi()
      .xadd(
        key,
        'MAXLEN',
        '~',
        this.options.maxLength,
        '*',
        'i',
        eventId,
        'e',
        payload,
      )
      .pexpire(key, this.options.maxAgeMs)
      .exec();
  }

  async since(room: string, lastEventId: string): Promise<RoomReplay> {
    const oldest = Date.now() - this.options.maxAgeMs;
    // Stream ids start with the ms time Redis added them, so '<oldest>' skips the expired ones.
    const entries = await this.redis.xrange(
      this.key(room),
      String(oldest),
      '+',
    );
    const kept = entries.map(([, fields]) => ({
      id: field(fields, 'i'),
      payload: field(fields, 'e'),
    }));
    // XADD ~ trims whole nodes: keep the promise of at most maxLength.
    return replayAfter(kept.slice(-this.options.maxLength), lastEventId);
  }
}

function field(fields: string[], name: string): string {
  for (let i = 0; i < fields.length - 1; i += 2)
    if (fields[i] === name) return fields[i + 1];
  return '';
}
