/** A user whose last socket in a room was removed with a dead instance. */
export interface RoomDeparture {
  room: string;
  userId: string;
}

/**
 * Who is in the rooms with `presence: true`, shared by every gateway instance:
 * each room's sockets and, per user, how many of them. Every method is one or a
 * few single-key commands, so it works on Redis Cluster.
 */
export interface RoomPresenceStore {
  /** Adds a socket to a room; resolves how many sockets its user has there after it. */
  join(
    instanceId: string,
    room: string,
    socketId: string,
    userId: string,
  ): Promise<number>;
  /** Removes a socket; `removed` is false when it was not there (already purged). */
  leave(
    instanceId: string,
    room: string,
    socketId: string,
    userId: string,
  ): Promise<{ removed: boolean; remaining: number }>;
  counts(room: string): Promise<{ sockets: number; users: number }>;
  /** Removes every socket of a (dead) instance; resolves the users that left a room with it. */
  purge(instanceId: string): Promise<RoomDeparture[]>;
  /** Forgets an instance that stops cleanly (its sockets left one by one). */
  forget(instanceId: string): Promise<void>;
}

const field = (instanceId: string, socketId: string) =>
  `${instanceId}/${socketId}`;

/** Room presence in this process, for the memory transport. */
export class MemoryRoomPresenceStore implements RoomPresenceStore {
  /** room → `<instance>/<socket>` → user id. */
  private readonly sockets = new Map<string, Map<string, string>>();
  /** room → user id → sockets. */
  private readonly users = new Map<string, Map<string, number>>();

  async join(
    instanceId: string,
    room: string,
    socketId: string,
    userId: string,
  ): Promise<number> {
    let sockets = this.sockets.get(room);
    if (!sockets) this.sockets.set(room, (sockets = new Map()));
    let users = this.users.get(room);
    if (!users) this.users.set(room, (users = new Map()));
    const key = field(instanceId, socketId);
    if (!sockets.has(key)) {
      sockets.set(key, userId);
      users.set(userId, (users.get(userId) ?? 0) + 1);
    }
    return users.get(userId)!;
  }

  async leave(
    instanceId: string,
    room: string,
    socketId: string,
    userId: string,
  ): Promise<{ removed: boolean; remaining: number }> {
    const sockets = this.sockets.get(room);
    const users = this.users.get(room);
    const removed = sockets?.delete(field(instanceId, socketId)) ?? false;
    if (!removed || !users)
      return { removed, remaining: users?.get(userId) ?? 0 };
    const remaining = (users.get(userId) ?? 1) - 1;
    if (remaining > 0) users.set(userId, remaining);
    else users.delete(userId);
    if (sockets!.size === 0) this.sockets.delete(room);
    if (users.size === 0) this.users.delete(room);
    return { removed, remaining };
  }

  async counts(room: string): Promise<{ sockets: number; users: number }> {
    return {
      sockets: this.sockets.get(room)?.size ?? 0,
      users: this.users.get(room)?.size ?? 0,
    };
  }

  async purge(instanceId: string): Promise<RoomDeparture[]> {
    const departures: RoomDeparture[] = [];
    for (const [room, sockets] of [...this.sockets]) {
      for (const [key, userId] of [...sockets]) {
        if (!key.startsWith(`${instanceId}/`)) continue;
        const { remaining } = await this.leave(
          instanceId,
          room,
          key.slice(instanceId.length + 1),
          userId,
        );
        if (remaining === 0) departures.push({ room, userId });
      }
    }
    return departures;
  }

  async forget(): Promise<void> {}
}
