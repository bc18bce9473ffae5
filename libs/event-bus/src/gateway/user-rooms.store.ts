/**
 * The rooms each user's sockets join on connect (`addUserToRoom` with
 * `persist: true`), shared by every gateway instance.
 */
export interface UserRoomsStore {
  /** Records `room` for `userId`; resolves how many rooms the user has after it. */
  add(userId: string, room: string): Promise<number>;
  remove(userId: string, room: string): Promise<void>;
  /** The user's rooms, sorted. */
  list(userId: string): Promise<string[]>;
}

/** Persistent rooms in this process, for the memory transport. */
export class MemoryUserRoomsStore implements UserRoomsStore {
  private readonly rooms = new Map<string, Set<string>>();

  async add(userId: string, room: string): Promise<number> {
    let rooms = this.rooms.get(userId);
    if (!rooms) this.rooms.set(userId, (rooms = new Set()));
    rooms.add(room);
    return rooms.size;
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
