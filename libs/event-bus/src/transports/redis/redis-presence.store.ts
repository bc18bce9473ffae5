import type { Cluster, Redis } from 'ioredis';
import { parseJsonWithinDepth } from '../../envelope/json-depth.js';
import type {
  PresenceStore,
  PurgedUser,
  SessionRecord,
} from '../../gateway/presence.store.js';
import { presenceKeys } from './redis-keys.util.js';

/** A session's field in its user's hash. */
const field = (instanceId: string, socketId: string) =>
  `${instanceId}/${socketId}`;

/**
 * Presence on Redis. Keys (after the bus' channel prefix):
 * `gw:instances` (sorted set: instance → last heartbeat ms),
 * `gw:user:<userId>:sessions` (hash: `<instance>/<socket>` → session),
 * `gw:instance:<id>:users` (set of users with sessions there),
 * `gw:lastseen` (hash: user → ISO time).
 * User ids are checked by the authenticator (letters, digits, `_ - . @`).
 */
export class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  private get instancesKey() {
    return presenceKeys.instances(this.prefix);
  }
  private userKey(userId: string) {
    return presenceKeys.userSessions(this.prefix, userId);
  }
  private instanceUsersKey(instanceId: string) {
    return presenceKeys.instanceUsers(this.prefix, instanceId);
  }
  private get lastSeenKey() {
    return presenceKeys.lastSeen(this.prefix);
  }

  async heartbeat(instanceId: string): Promise<boolean> {
    // ZADD answers 1 for a member it added, 0 for one it updated.
    const added = await this.redis.zadd(
      this.instancesKey,
      Date.now(),
      instanceId,
    );
    return Number(added) === 0;
  }

  async add(instanceId: string, session: SessionRecord): Promise<number> {
    const key = this.userKey(session.userId);
    const [, results] = await Promise.all([
      this.redis.sadd(this.instanceUsersKey(instanceId), session.userId),
      this.redis
        .multi()
        .hset(key, field(instanceId, session.socketId), JSON.stringify(session))
        .hlen(key)
        .exec(),
    ]);
    return Number(results?.[1]?.[1] ?? 0);
  }

  async remove(
    instanceId: string,
    session: SessionRecord,
  ): Promise<{ removed: boolean; remaining: number }> {
    const key = this.userKey(session.userId);
    const results = await this.redis
      .multi()
      .hdel(key, field(instanceId, session.socketId))
      .hlen(key)
      .exec();
    return {
      removed: Number(results?.[0]?.[1]) === 1,
      remaining: Number(results?.[1]?.[1] ?? 0),
    };
  }

  async count(userId: string): Promise<number> {
    return this.redis.hlen(this.userKey(userId));
  }

  async lastSeen(userId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.lastSeenKey, userId)) ?? undefined;
  }

  async setLastSeen(userId: string, at: string): Promise<void> {
    await this.redis.hset(this.lastSeenKey, userId, at);
  }

  async claimDead(ttlMs: number): Promise<string[]> {
    const dead = await this.redis.zrangebyscore(
      this.instancesKey,
      '-inf',
      `(${Date.now() - ttlMs}`,
    );
    const claimed: string[] = [];
    for (const id of dead) {
      // ZREM answers 1 to one caller only: that instance sweeps it.
      if (Number(await this.redis.zrem(this.instancesKey, id)) === 1)
        claimed.push(id);
    }
    return claimed;
  }

  async purge(instanceId: string): Promise<PurgedUser[]> {
    const usersKey = this.instanceUsersKey(instanceId);
    const users = await this.redis.smembers(usersKey);
    const purged: PurgedUser[] = [];
    for (const userId of users) {
      const key = this.userKey(userId);
      const all = await this.redis.hgetall(key);
      const mine = Object.entries(all).filter(([name]) =>
        name.startsWith(`${instanceId}/`),
      );
      if (mine.length === 0) continue;
      const results = await this.redis
        .multi()
        .hdel(key, ...mine.map(([name]) => name))
        .hlen(key)
        .exec();
      if (Number(results?.[0]?.[1]) === 0) continue;
      purged.push({
        userId,
        sessions: mine.map(([, value]) => parseSession(value, userId)),
        remaining: Number(results?.[1]?.[1] ?? 0),
      });
    }
    await this.redis.del(usersKey);
    return purged;
  }

  async leave(instanceId: string): Promise<void> {
    await Promise.all([
      this.redis.zrem(this.instancesKey, instanceId),
      this.redis.del(this.instanceUsersKey(instanceId)),
    ]);
  }
}

/** A session record read from Redis; one that is not a flat record of strings (corrupt, foreign) reads as unknown. */
function parseSession(value: string, userId: string): SessionRecord {
  const parsed = parseJsonWithinDepth(value, 1) as
    Partial<SessionRecord> | undefined;
  if (
    parsed &&
    typeof parsed === 'object' &&
    typeof parsed.socketId === 'string' &&
    typeof parsed.clientId === 'string'
  ) {
    return { ...parsed, userId } as SessionRecord;
  }
  return {
    socketId: 'unknown',
    userId,
    clientId: 'unknown',
    connectedAt: new Date(0).toISOString(),
  };
}
