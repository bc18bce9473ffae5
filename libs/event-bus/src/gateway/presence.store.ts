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
