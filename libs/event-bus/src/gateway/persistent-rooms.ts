import type { Socket } from 'socket.io';
import type { EventBusLogger } from '../event-bus.logger.js';
import { within } from '../within.util.js';
import { identityOf } from './handshake.middleware.js';
import { PersistentRoomLimitError } from './persistent-room-limit.error.js';
import type { UserRoomsStore } from './user-rooms.store.js';

/** A socket's own rooms at most: user, client, session, global. */
const OWN_ROOMS = 4;
/** Longest a new socket waits for its user's persistent rooms before it is served without them. */
const LOAD_TIMEOUT_MS = 2000;

/**
 * Server-side subscriptions that outlive sessions: the rooms recorded for a
 * user (`addUserToRoom(userId, room, { persist: true })`) are joined by each of
 * the user's sockets when it connects, on any instance. A user may have up to
 * `maxRoomsPerSocket - 4` of them, so that every socket holds them all beside
 * its own rooms; they count against the socket's `maxRoomsPerSocket` like any.
 */
export class PersistentRooms {
  readonly limit: number;

  constructor(
    private readonly store: UserRoomsStore,
    maxRoomsPerSocket: number,
    private readonly logger: EventBusLogger,
  ) {
    this.limit = maxRoomsPerSocket - OWN_ROOMS;
  }

  /** Records `room` for `userId`; throws `PersistentRoomLimitError` past the limit. */
  async add(userId: string, room: string): Promise<void> {
    if (await this.store.add(userId, room, this.limit)) return;
    throw new PersistentRoomLimitError(userId, room, this.limit);
  }

  remove(userId: string, room: string): Promise<void> {
    return this.store.remove(userId, room);
  }

  list(userId: string): Promise<string[]> {
    return this.store.list(userId);
  }

  /**
   * Puts a new socket in its user's persistent rooms (the first `limit` by
   * name, should a lower `maxRoomsPerSocket` have left more); resolves them. Never rejects: without
   * the store the socket is served with its own rooms only.
   */
  async joinSaved(socket: Socket): Promise<string[]> {
    const userId = identityOf(socket).userId;
    let saved: string[] | undefined;
    try {
      saved = await within(this.store.list(userId), LOAD_TIMEOUT_MS);
    } catch (error) {
      this.logger.limited(
        'persistent rooms unreadable',
        'warn',
        `Could not read the persistent rooms of ${userId}: ${(error as Error).message}. The socket is served without them.`,
      );
      return [];
    }
    if (saved === undefined) {
      this.logger.limited(
        'persistent rooms unreadable',
        'warn',
        `The persistent rooms of ${userId} did not come within ${LOAD_TIMEOUT_MS} ms. The socket is served without them.`,
      );
      return [];
    }
    if (saved.length === 0 || !socket.connected) return [];
    const rooms = saved.slice(0, this.limit);
    await socket.join(rooms);
    return rooms;
  }
}
