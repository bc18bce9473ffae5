import { EventBusError } from '../errors/event-bus.error.js';
import { messages } from '../event-bus.messages.js';

/**
 * `addUserToRoom(userId, room, { persist: true })` past the most persistent
 * rooms a user may have: each of their sockets must be able to hold them all
 * beside its own rooms (`maxRoomsPerSocket` less 4).
 *
 * @publicApi
 */
export class PersistentRoomLimitError extends EventBusError {
  constructor(
    readonly userId: string,
    readonly room: string,
    readonly limit: number,
  ) {
    super(
      messages.persistentRoomLimit(userId, room, limit),
      'PERSISTENT_ROOM_LIMIT',
    );
  }
}
