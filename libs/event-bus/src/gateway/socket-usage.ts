import type { Server } from 'socket.io';
import type { SocketIdentity } from './interfaces.js';

/** What this instance's sockets use, for stats and health (the seed's websocket health). */
export interface SocketUsage {
  /** Rooms with at least one socket of this instance (socket.io's room of each socket's own id not counted). */
  activeRooms: number;
  /** Distinct devices (user and client id) with a socket on this instance. */
  connectedClients: number;
}

/**
 * Counts from socket.io's local adapter (this instance's rooms, also with the
 * Redis adapter): one pass over the rooms and one over the sockets, for a
 * health check or a metrics scrape, not per event.
 */
export function socketUsage(server: Server | undefined): SocketUsage {
  if (!server) return { activeRooms: 0, connectedClients: 0 };
  const namespace = server.of('/');
  let activeRooms = 0;
  for (const room of namespace.adapter.rooms.keys())
    if (!namespace.sockets.has(room)) activeRooms++;
  const devices = new Set<string>();
  for (const socket of namespace.sockets.values()) {
    const identity = (socket.data as { identity?: SocketIdentity }).identity;
    if (identity) devices.add(`${identity.userId}\n${identity.clientId}`);
  }
  return { activeRooms, connectedClients: devices.size };
}
