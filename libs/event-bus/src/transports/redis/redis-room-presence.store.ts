import type { Cluster, Redis } from 'ioredis';
import type {
  RoomDeparture,
  RoomPresenceStore,
} from '../../gateway/room-presence.store.js';
import { presenceKeys } from './redis-keys.util.js';

/** A socket's field in its room's hash. */
const field = (instanceId: string, socketId: string) =>
  `${instanceId}/${socketId}`;

/**
 * One socket fewer for a user in a room, the user's field removed at zero: in
 * one script, so that a join on another instance between the decrement and the
 * removal is not lost. One key: it works on Redis Cluster.
 */
const DECREMENT = `local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) n = 0 end
return n`;

/**
 * Room presence on Redis. Keys (after the bus' channel prefix):
 * `gw:room:<room>:sockets` (hash: `<instance>/<socket>` → user id),
 * `gw:room:<room>:users` (hash: user id → their sockets in the room),
 * `gw:instance:<id>:rooms` (set of the rooms with sockets there, for the purge
 * of a dead instance).
 */
export class RedisRoomPresenceStore implements RoomPresenceStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  async join(
    instanceId: string,
    room: string,
    socketId: string,
    userId: string,
  ): Promise<number> {
    const users = presenceKeys.roomUsers(this.prefix, room);
    const [, added] = await Promise.all([
      this.redis.sadd(
        presenceKeys.instanceRooms(this.prefix, instanceId),
        room,
      ),
      this.redis.hset(
        presenceKeys.roomSockets(this.prefix, room),
        field(instanceId, socketId),
        userId,
      ),
    ]);
    if (Number(added) === 0)
      return Number(await this.redis.hget(users, userId));
    return this.redis.hincrby(users, userId, 1);
  }

  async leave(
    instanceId: string,
    room: string,
    socketId: string,
    userId: string,
  ): Promise<{ removed: boolean; remaining: number }> {
    const users = presenceKeys.roomUsers(this.prefix, room);
    const removed = await this.redis.hdel(
      presenceKeys.roomSockets(this.prefix, room),
      field(instanceId, socketId),
    );
    if (Number(removed) === 0)
      return {
        removed: false,
        remaining: Number(await this.redis.hget(users, userId)),
      };
    const remaining = await this.redis.eval(DECREMENT, 1, users, userId);
    return { removed: true, remaining: Number(remaining) };
  }

  async counts(room: string): Promise<{ sockets: number; users: number }> {
    const [sockets, users] = await Promise.all([
      this.redis.hlen(presenceKeys.roomSockets(this.prefix, room)),
      this.redis.hlen(presenceKeys.roomUsers(this.prefix, room)),
    ]);
    return { sockets, users };
  }

  async purge(instanceId: string): Promise<RoomDeparture[]> {
    const roomsKey = presenceKeys.instanceRooms(this.prefix, instanceId);
    const departures: RoomDeparture[] = [];
    for (const room of await this.redis.smembers(roomsKey)) {
      const all = await this.redis.hgetall(
        presenceKeys.roomSockets(this.prefix, room),
      );
      for (const [name, userId] of Object.entries(all)) {
        if (!name.startsWith(`${instanceId}/`)) continue;
        const { removed, remaining } = await this.leave(
          instanceId,
          room,
          name.slice(instanceId.length + 1),
          userId,
        );
        if (removed && remaining === 0) departures.push({ room, userId });
      }
    }
    await this.redis.del(roomsKey);
    return departures;
  }

  async forget(instanceId: string): Promise<void> {
    await this.redis.del(presenceKeys.instanceRooms(this.prefix, instanceId));
  }
}
