import {
  GLOBAL_ROOM,
  clientRoom,
  sessionRoom,
  userRoom,
} from '../rooms/room-names.js';
import type {
  EventBusGatewayOptions,
  RoomAuthorizer,
  SocketIdentity,
} from './interfaces.js';

const OWN_ROOM_PREFIXES = ['user:', 'client:', 'session:'] as const;

/**
 * The rooms every socket is put in on connect, all of its token's subject:
 * `user:<userId>`, `client:<userId>:<clientId>`, `session:<userId>:<sessionId>`
 * (with a session) and `global`.
 */
export function defaultRooms(identity: SocketIdentity): string[] {
  const rooms = [
    userRoom(identity.userId),
    clientRoom(identity.userId, identity.clientId),
  ];
  if (identity.sessionId)
    rooms.push(sessionRoom(identity.userId, identity.sessionId));
  rooms.push(GLOBAL_ROOM);
  return rooms;
}

/**
 * The default room policy: a socket may join its own `user:`, `client:` and
 * `session:` rooms and `global`; never anybody else's; any other room only
 * when the app's `authorizeRoom` says so (no `authorizeRoom`: refused).
 */
export class DefaultRoomAuthorizer implements RoomAuthorizer {
  constructor(
    private readonly policy?: EventBusGatewayOptions['authorizeRoom'],
  ) {}

  async canJoin(identity: SocketIdentity, room: string): Promise<boolean> {
    if (defaultRooms(identity).includes(room)) return true;
    if (OWN_ROOM_PREFIXES.some(prefix => room.startsWith(prefix))) return false;
    return this.policy ? (await this.policy(identity, room)) === true : false;
  }
}

/**
 * Matches the receive-only rooms: `global` and the option's names, where a
 * trailing `*` matches any rest (`announcements:*`).
 */
export function receiveOnlyMatcher(
  rooms: readonly string[],
): (room: string) => boolean {
  const exact = new Set([
    GLOBAL_ROOM,
    ...rooms.filter(room => !room.endsWith('*')),
  ]);
  const prefixes = rooms
    .filter(room => room.endsWith('*'))
    .map(room => room.slice(0, -1));
  return room =>
    exact.has(room) || prefixes.some(prefix => room.startsWith(prefix));
}
