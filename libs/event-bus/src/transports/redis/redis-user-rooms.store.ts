import type { Cluster, Redis } from 'ioredis';
import type { UserRoomsStore } from '../../gateway/user-rooms.store.js';
import { presenceKeys } from './redis-keys.util.js';

/**
 * Adds a room to a user's set unless it holds `limit` already (a member it
 * holds is kept). KEYS: the set. ARGV: room, limit. Returns 1 if it is in the set.
 */
const ADD_WITHIN = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`;

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

  async add(userId: string, room: string, limit: number): Promise<boolean> {
    const key = presenceKeys.userRooms(this.prefix, userId);
    // One script on one key: atomic, and on Redis Cluster in one slot.
    const added = await this.redis.eval(ADD_WITHIN, 1, key, room, limit);
    return added === 1;
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
