/**
 * Presence and connection events the gateway publishes on the bus.
 */

/** @publicApi */
export interface UserPresenceEvent {
  userId: string;
  /** Sessions the user has open after this change. */
  sessions: number;
  lastSeen: string;
}

/** @publicApi */
export interface ClientConnectionEvent {
  userId: string;
  clientId: string;
  sessionId?: string;
  socketId: string;
  instanceId: string;
  at: string;
  /** The same instant as `at`, under seed 003's name. */
  timestamp: string;
  /**
   * `client.disconnected` only: socket.io's reason (`transport close`,
   * `client namespace disconnect`, `ping timeout`, `server namespace
   * disconnect` …), `server shutting down` when the instance stopped with the
   * socket still open, or `instance stopped heartbeating` for the sockets of
   * an instance found dead.
   */
  reason?: string;
}

/** A socket joined a room through `subscribe` (or the app's `subscribeSocket`). @publicApi */
export interface ClientSubscribedEvent {
  userId: string;
  clientId: string;
  socketId: string;
  room: string;
  instanceId: string;
  timestamp: string;
}

/** @publicApi */
export interface PresenceEvents {
  'user.online': UserPresenceEvent;
  'user.offline': UserPresenceEvent;
  'client.connected': ClientConnectionEvent;
  'client.disconnected': ClientConnectionEvent;
  'client.subscribed': ClientSubscribedEvent;
}
