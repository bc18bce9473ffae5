import { Injectable } from '@nestjs/common';
import { EventBusService } from '../event-bus.service.js';
import type { EventData } from '../interfaces/event-map.interface.js';
import type {
  PublishOptions,
  PublishResult,
} from '../interfaces/publish.interface.js';
import { clientRoom, userRoom } from '../rooms/room-names.js';
import type {
  RoomHistoryPage,
  RoomHistoryQuery,
} from '../rooms/room-history-page.js';
import { EventBusGateway } from './event-bus.gateway.js';
import { checkRoomQuery } from './gateway-rooms.js';
import type {
  ClientEvent,
  GatewayHealth,
  RoomPresenceCounts,
  GatewayStats,
  RoomMember,
  SocketIdentity,
} from './interfaces.js';

/**
 * The server side of the gateway. Sends go through the bus (so every instance
 * delivers to its own sockets and the room history keeps them); room changes
 * and disconnects reach sockets on any instance through the socket.io adapter.
 *
 * @example
 * await this.gateway.addUserToRoom(userId, `chat:${chatId}`);
 * await this.gateway.broadcastToRoom(`chat:${chatId}`, 'chat.message', message);
 *
 * @publicApi
 */
@Injectable()
export class EventBusGatewayService {
  constructor(
    private readonly bus: EventBusService,
    private readonly gateway: EventBusGateway,
  ) {}

  /** Every socket of `userId`, on every instance. */
  sendToUser<K extends string>(
    userId: string,
    type: K,
    data: EventData<K>,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.bus.publishToUser(userId, type, data, options);
  }

  /**
   * Sends to one device of a user (its `client:<userId>:<clientId>` room), if
   * it is connected (seed 003's `sendToClient`). First asks every instance,
   * through socket.io's adapter (`fetchSockets`; up to 5 s when an instance
   * does not answer), whether a socket of that device is connected.
   *
   * @returns true: at that moment at least one socket of the device was
   * connected, on some instance, and the event was published to the device's
   * room (every instance delivers it to its sockets there; the room history
   * keeps it for recovery). Not a delivery receipt: a socket that disconnects
   * in between misses it live. false: no socket of the device was connected;
   * nothing was published (no history entry either).
   * @throws what `publishToRoom` throws (`EventValidationError`, `EventBusUnavailableError`)
   */
  async sendToClient<K extends string>(
    userId: string,
    clientId: string,
    type: K,
    data: EventData<K>,
    options?: PublishOptions,
  ): Promise<boolean> {
    const room = clientRoom(userId, clientId);
    const sockets = await this.gateway.server.in(room).fetchSockets();
    if (sockets.length === 0) return false;
    await this.bus.publishToRoom(room, type, data, options);
    return true;
  }

  /** Every socket in `room`, on every instance. */
  broadcastToRoom<K extends string>(
    room: string,
    type: K,
    data: EventData<K>,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.bus.publishToRoom(room, type, data, options);
  }

  /**
   * Puts every socket `userId` has now, on any instance, in `room`. With
   * `persist: true` the room is also recorded for the user (in Redis, on the
   * Redis transport) and every socket they connect later, on any instance,
   * joins it on connect, until `removeUserFromRoom`. A user may have
   * `maxRoomsPerSocket - 4` persistent rooms (46 by default); past that it
   * throws `PersistentRoomLimitError`.
   *
   * @example await gateway.addUserToRoom(userId, `chat:${chatId}`, { persist: true });
   */
  async addUserToRoom(
    userId: string,
    room: string,
    options: { persist?: boolean } = {},
  ): Promise<void> {
    checkRoomQuery(room);
    if (options.persist === true)
      await this.gateway.roomFeatures.persistent.add(userId, room);
    this.gateway.server.in(userRoom(userId)).socketsJoin(room);
  }

  /** Takes every socket of `userId`, on any instance, out of `room`, and forgets it as a persistent room. */
  async removeUserFromRoom(userId: string, room: string): Promise<void> {
    checkRoomQuery(room);
    await this.gateway.roomFeatures.persistent.remove(userId, room);
    this.gateway.server.in(userRoom(userId)).socketsLeave(room);
  }

  /** The user's persistent rooms (`addUserToRoom` with `persist: true`), sorted. */
  getUserRooms(userId: string): Promise<string[]> {
    return this.gateway.roomFeatures.persistent.list(userId);
  }

  /**
   * A page of `room`'s history, oldest first, as sockets receive its events:
   * the newest `limit` (default 50, at most 500), or those after `since` or
   * before `before` (event ids, exclusive). `hasMore`: more are kept beyond
   * the page; `recovered: false`: `since` / `before` is no longer kept.
   *
   * @example
   * let page = await gateway.getRoomHistory('chat:1', { limit: 20 });
   * while (page.hasMore) page = await gateway.getRoomHistory('chat:1', { before: page.events[0].id, limit: 20 });
   */
  getRoomHistory(
    room: string,
    query: RoomHistoryQuery = {},
  ): Promise<RoomHistoryPage<ClientEvent>> {
    checkRoomQuery(room, query);
    return this.gateway.roomFeatures.page(room, query);
  }

  /**
   * How many sockets and distinct users are in `room` on every instance: from
   * the presence records for rooms with `presence: true` (gateway option
   * `rooms`), else by asking every instance (like `getRoomMembers`).
   */
  getRoomPresence(room: string): Promise<RoomPresenceCounts> {
    checkRoomQuery(room);
    return this.gateway.roomFeatures.counts(room);
  }

  /** The sockets in `room` on every instance (asks the others through Redis; up to 5 s). */
  async getRoomMembers(room: string): Promise<RoomMember[]> {
    const sockets = await this.gateway.server.in(room).fetchSockets();
    return sockets.map(socket => {
      const identity = (socket.data as { identity?: SocketIdentity }).identity;
      return {
        socketId: socket.id,
        userId: identity?.userId ?? '',
        clientId: identity?.clientId ?? '',
        ...(identity?.sessionId ? { sessionId: identity.sessionId } : {}),
      };
    });
  }

  /** True while the user has a session on any instance. */
  isUserOnline(userId: string): Promise<boolean> {
    return this.gateway.presenceTracker.isOnline(userId);
  }

  /** When the user's last session ended (ISO-8601), if it has. */
  getLastSeen(userId: string): Promise<string | undefined> {
    return this.gateway.presenceTracker.lastSeen(userId);
  }

  /** Disconnects every socket of `userId` on any instance (they may reconnect: revoke their token too). */
  async disconnectUser(userId: string): Promise<void> {
    this.gateway.server.in(userRoom(userId)).disconnectSockets(true);
  }

  /**
   * Whether this instance can serve sockets (started, not shutting down, Redis
   * connections up), for a readiness check. With Terminus, use
   * `EventBusGatewayHealthIndicator`, which reports this.
   *
   * @example
   * const { healthy, reason } = gateway.health();
   */
  health(): GatewayHealth {
    return this.gateway.health();
  }

  /** This instance's figures. */
  getStats(): GatewayStats {
    return this.gateway.getStats();
  }
}
