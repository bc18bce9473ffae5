/**
 * The rooms each user's sockets join on connect (`addUserToRoom` with
 * `persist: true`), shared by every gateway instance.
 */
export interface UserRoomsStore {
  /**
   * Records `room` for `userId` unless they have `limit` rooms already, in
   * one step (calls on two instances at the limit must not both pass, nor
   * undo each other); resolves false when it was refused. A room the user
   * has already is kept and resolves true, whatever the count.
   */
  add(userId: string, room: string, limit: number): Promise<boolean>;
  remove(userId: string, room: string): Promise<void>;
  /** The user's rooms, sorted. */
  list(userId: string): Promise<string[]>;
}

/** Persistent rooms in this process, for the memory transport. */
export class MemoryUserRoomsStore implements UserRoomsStore {
  private readonly rooms = new Map<string, Set<string>>();

  // No await between the check and the add: atomic in one process.
  async add(userId: string, room: string, limit: number): Promise<boolean> {
    let rooms = this.rooms.get(userId);
    if (rooms?.has(room)) return true;
    if ((rooms?.size ?? 0) >= limit) return false;
    if (!rooms) this.rooms.set(userId, (rooms = new Set()));
    rooms.add(room);
    return true;
  }

  async remove(userId: string, room: string): Promise<void> {
    const rooms = this.rooms.get(userId);
    rooms?.delete(room);
    if (rooms?.size === 0) this.rooms.delete(userId);
  }

  async list(userId: string): Promise<string[]> {
    return [...(this.rooms.get(userId) ?? [])].sort();
  }
}
