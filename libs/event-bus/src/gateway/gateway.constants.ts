/** Injection token of the socket authenticator (internal). */
export const SOCKET_AUTHENTICATOR = 'event-bus:socket-authenticator';
/** Injection token of the room authorizer (internal). */
export const ROOM_AUTHORIZER = 'event-bus:room-authorizer';

/** Provider whose factory installs EventBusIoAdapter (internal). */
export const IO_ADAPTER_INSTALLED = 'event-bus:io-adapter-installed';

/** Client → server messages the gateway answers. */
export const CLIENT_MESSAGES = {
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  ping: 'ping',
  publish: 'publish',
  signal: 'signal',
} as const;

/** Server → client events of the gateway itself (the rest are named after event types). */
export const SERVER_EVENTS = {
  established: 'connection:established',
  shutdown: 'system.shutdown',
  signal: 'signal',
} as const;
