import type { EventMetadata } from '../interfaces/event-envelope.interface.js';

/** The room every socket joins, where `broadcast` events go. */
export const GLOBAL_ROOM = 'global';

/**
 * Room names: letters, digits and `_ - . : @`, 1 to 128 characters. No braces
 * (Redis Cluster hash tags), spaces, globs or control characters, so a name is
 * safe inside a Redis key as it is.
 */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_\-.:@]{1,128}$/;

/**
 * User, client and session ids (from tokens and handshakes): letters, digits and
 * `_ - . @`, 1 to 100 characters, so that `user:{id}` is a valid room name.
 */
export const IDENTITY_ID_PATTERN = /^[A-Za-z0-9_\-.@]{1,100}$/;

export function isValidRoomName(room: unknown): room is string {
  return typeof room === 'string' && ROOM_NAME_PATTERN.test(room);
}

export const userRoom = (userId: string): string => `user:${userId}`;
/**
 * A device's room, scoped by its user: client ids are chosen by clients and are
 * not secret, so two users' `laptop` are two rooms. Ids cannot hold `:`, so the
 * name reads back unambiguously.
 */
export const clientRoom = (userId: string, clientId: string): string =>
  `client:${userId}:${clientId}`;
/** A session's room, scoped by its user like `clientRoom`. */
export const sessionRoom = (userId: string, sessionId: string): string =>
  `session:${userId}:${sessionId}`;

/**
 * The room an event is meant for: `metadata.room` (publishToRoom), the user's
 * room (publishToUser) or `global` (broadcast); undefined for plain events,
 * which stay on the bus. An event a socket published (`clientId` set) names its
 * sender in `userId`, not a recipient.
 */
export function targetRoom(metadata: EventMetadata): string | undefined {
  if (metadata.room !== undefined) return metadata.room;
  if (metadata.userId !== undefined && metadata.clientId === undefined)
    return userRoom(metadata.userId);
  return metadata.broadcast ? GLOBAL_ROOM : undefined;
}
