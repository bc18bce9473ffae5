/** Injection token of the socket authenticator (internal). */
export const SOCKET_AUTHENTICATOR = 'event-bus:socket-authenticator';
/** Injection token of the room authorizer (internal). */
export const ROOM_AUTHORIZER = 'event-bus:room-authorizer';

// The names are the wire protocol's, shared with the client SDK.
export {
  CLIENT_MESSAGES,
  SERVER_EVENTS,
} from '@shared-infra/event-bus-client/protocol';
