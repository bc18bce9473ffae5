import type { GatewayStats } from './interfaces.js';

/**
 * This instance's gateway figures, shared by the pieces that count them
 * (handshake, delivery, recovery, signals, handlers) and read by `getStats()`.
 */
export class GatewayCounters {
  eventsEmitted = 0;
  eventsReplayed = 0;
  roomsNotRepaired = 0;
  clientEventsPublished = 0;
  signalsRelayed = 0;
  unauthorized = 0;
  rateLimited = 0;
  forbidden = 0;
  invalid = 0;
  disconnectedForAbuse = 0;
  connectionsRateLimited = 0;

  /** The counted figures; the gateway adds what it reads from socket.io (`socketUsage`, `uptime`). */
  toStats(
    instanceId: string,
    sockets: number,
    users: number,
  ): Omit<GatewayStats, 'connectedClients' | 'activeRooms' | 'uptime'> {
    return {
      instanceId,
      sockets,
      users,
      eventsEmitted: this.eventsEmitted,
      eventsReplayed: this.eventsReplayed,
      roomsNotRepaired: this.roomsNotRepaired,
      clientEventsPublished: this.clientEventsPublished,
      signalsRelayed: this.signalsRelayed,
      rejected: {
        unauthorized: this.unauthorized,
        rateLimited: this.rateLimited,
        forbidden: this.forbidden,
        invalid: this.invalid,
        disconnectedForAbuse: this.disconnectedForAbuse,
        connectionsRateLimited: this.connectionsRateLimited,
      },
    };
  }
}
