import type { Cluster, Redis } from 'ioredis';
import { parseJsonWithinDepth } from '../envelope/json-depth.js';
import { presenceKeys } from '../transports/redis/redis-keys.util.js';

/** One connected socket, as presence keeps it. */
export interface SessionRecord {
  socketId: string;
  userId: string;
  clientId: string;
  sessionId?: string;
  connectedAt: string;
}

/** Sessions an instance held when it was found dead, per user. */
export interface PurgedUser {
  userId: string;
  sessions: SessionRecord[];
  /** Sessions the user still has elsewhere. */
  remaining: number;
}

/**
 * Who is connected where, shared by every gateway instance. Every method is
 * one or a few single-key commands, so it works on Redis Cluster.
 */
export interface PresenceStore {
  /** Renews the instance's heartbeat; false when it was not registered (new, or purged as dead). */
  heartbeat(instanceId: string): Promise<boolean>;
  /** Adds a session; resolves the user's session count after it. */
  add(instanceId: string, session: SessionRecord): Promise<number>;
  /** Removes a session; `removed` is false when it was already gone (purged). */
  remove(
    instanceId: string,
    session: SessionRecord,
  ): Promise<{ removed: boolean; remaining: number }>;
  count(userId: string): Promise<number>;
  lastSeen(userId: string): Promise<string | undefined>;
  setLastSeen(userId: string, at: string): Promise<void>;
  /** Instances whose last heartbeat is older than `ttlMs`; each is handed to one caller only. */
  claimDead(ttlMs: number): Promise<string[]>;
  /** Removes every session of a (dead) instance. */
  purge(instanceId: string): Promise<PurgedUser[]>;
  /** Unregisters an instance that stops cleanly (its sessions were removed one by one). */
  leave(instanceId: string): Promise<void>;
}

const field = (instanceId: string, socketId: string) =>
  `${instanceId}/${socketId}`;

/** Presence in this process, for the memory transport. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly instances = new Map<string, number>();
  private readonly sessions = new Map<string, Map<string, SessionRecord>>();
  private readonly seen = new Map<string, string>();

  async heartbeat(instanceId: string): Promise<boolean> {
    const known = this.instances.has(instanceId);
    this.instances.set(instanceId, Date.now());
    return known;
  }

  async add(instanceId: string, session: SessionRecord): Promise<number> {
    let user = this.sessions.get(session.userId);
    if (!user) this.sessions.set(session.userId, (user = new Map()));
    user.set(field(instanceId, session.socketId), session);
    return user.size;
  }

  async remove(
    instanceId: string,
    session: SessionRecord,
  ): Promise<{ removed: boolean; remaining: number }> {
    const user = this.sessions.get(session.userId);
    const removed = user?.delete(field(instanceId, session.socketId)) ?? false;
    const remaining = user?.size ?? 0;
    if (user && remaining === 0) this.sessions.delete(session.userId);
    return { removed, remaining };
  }

  async count(userId: string): Promise<number> {
    return this.sessions.get(userId)?.size ?? 0;
  }

  async lastSeen(userId: string): Promise<string | undefined> {
    return this.seen.get(userId);
  }

  async setLastSeen(userId: string, at: string): Promise<void> {
    this.seen.set(userId, at);
  }

  async claimDead(ttlMs: number): Promise<string[]> {
    const deadline = Date.now() - ttlMs;
    const dead = [...this.instances]
      .filter(([, at]) => at < deadline)
      .map(([id]) => id);
    dead.forEach(id => this.instances.delete(id));
    return dead;
  }

  async purge(instanceId: string): Promise<PurgedUser[]> {
    const purged: PurgedUser[] = [];
    for (const [userId, user] of this.sessions) {
      const sessions = [...user].filter(([key]) =>
        key.startsWith(`${instanceId}/`),
      );
      if (sessions.length === 0) continue;
      sessions.forEach(([key]) => user.delete(key));
      if (user.size === 0) this.sessions.delete(userId);
      purged.push({
        userId,
        sessions: sessions.map(([, s]) => s),
        remaining: user.size,
      });
    }
    return purged;
  }

  async leave(instanceId: string): Promise<void> {
    this.instances.delete(instanceId);
  }
}

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
