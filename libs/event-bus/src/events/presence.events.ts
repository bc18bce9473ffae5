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
  instanceId: string;
  at: string;
}

/** @publicApi */
export interface PresenceEvents {
  'user.online': UserPresenceEvent;
  'user.offline': UserPresenceEvent;
  'client.connected': ClientConnectionEvent;
  'client.disconnected': ClientConnectionEvent;
}
