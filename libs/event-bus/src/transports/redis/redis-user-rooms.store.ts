import type { Cluster, Redis } from 'ioredis';
import type { UserRoomsStore } from '../../gateway/user-rooms.store.js';
import { presenceKeys } from './redis-keys.util.js';

/**
 * Persistent rooms on Redis: one set per user, `gw:user:<userId>:rooms` after
 * the bus' channel prefix. It stays until the rooms are removed: a user's
 * subscriptions outlive their sessions.
 */
export class RedisUserRoomsStore implements UserRoomsStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  async add(userId: string, room: string): Promise<number> {
    const key = presenceKeys.userRooms(this.prefix, userId);
    // One MULTI on one key: on Redis Cluster it stays in one slot.
    const results = await this.redis.multi().sadd(key, room).scard(key).exec();
    return Number(results?.[1]?.[1] ?? 0);
  }

  async remove(userId: string, room: string): Promise<void> {
    await this.redis.srem(presenceKeys.userRooms(this.prefix, userId), room);
  }

  async list(userId: string): Promise<string[]> {
    const rooms = await this.redis.smembers(
      presenceKeys.userRooms(this.prefix, userId),
    );
    return rooms.sort();
  }
}
