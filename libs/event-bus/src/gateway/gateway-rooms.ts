import type { Server, Socket } from 'socket.io';
import { EventValidationError } from '../errors/event-validation.error.js';
import type { EventBusLogger } from '../event-bus.logger.js';
import { messages } from '../event-bus.messages.js';
import type { EventPublisher } from '../publishing/event-publisher.js';
import {
  MAX_HISTORY_LIMIT,
  type RoomHistoryPage,
  type RoomHistoryQuery,
} from '../rooms/room-history-page.js';
import { isValidRoomName } from '../rooms/room-names.js';
import { GatewayAckError } from './gateway-ack.error.js';
import type { GatewayCounters } from './gateway-counters.js';
import type { ResolvedGatewayConfig } from './gateway.config.js';
import type { GatewayRedis } from './gateway-redis.js';
import { identityOf } from './handshake.middleware.js';
import type {
  ClientEvent,
  GatewayAck,
  HistoryPayload,
  PresencePayload,
  RoomAuthorizer,
  RoomPresenceCounts,
  SocketIdentity,
} from './interfaces.js';
import { PersistentRooms } from './persistent-rooms.js';
import { toClientEvent } from './room-delivery.js';
import { RoomPresence } from './room-presence.js';
import { MemoryRoomPresenceStore } from './room-presence.store.js';
import { MemoryUserRoomsStore } from './user-rooms.store.js';

/**
 * What the gateway offers per room beyond delivery: the `rooms` option's
 * history limits (handed to the publisher, which trims as it appends), history
 * pages (`history` from sockets, `getRoomHistory`), presence per room
 * (`presence:join` / `presence:leave`, `presence` from sockets,
 * `getRoomPresence`) and persistent rooms (`addUserToRoom` with `persist`).
 */
export class GatewayRooms {
  readonly presence: RoomPresence;
  readonly persistent: PersistentRooms;
  private server?: Server;

  constructor(
    instanceId: string,
    private readonly config: ResolvedGatewayConfig,
    private readonly authorizer: RoomAuthorizer,
    private readonly publisher: EventPublisher,
    redis: GatewayRedis | undefined,
    recovering: (room: string, socketId: string) => boolean,
    private readonly counters: GatewayCounters,
    logger: EventBusLogger,
  ) {
    const policy = config.rooms;
    if (Object.keys(config.options.rooms ?? {}).length > 0) {
      const bus = publisher.config.roomHistory;
      publisher.setRoomHistoryPolicy(room => policy.history(room, bus));
    }
    this.presence = new RoomPresence(
      instanceId,
      redis?.roomPresenceStore() ?? new MemoryRoomPresenceStore(),
      policy,
      recovering,
      logger,
    );
    this.persistent = new PersistentRooms(
      redis?.userRoomsStore() ?? new MemoryUserRoomsStore(),
      config.maxRoomsPerSocket,
      logger,
    );
  }

  attach(server: Server): void {
    this.server = server;
    this.presence.attach(server);
  }

  /** `history { room, since?, before?, limit? }` from a socket that is in the room or may join it. */
  async history(socket: Socket, request: HistoryPayload): Promise<GatewayAck> {
    const { room, since, before, limit } = request;
    if (since !== undefined && before !== undefined)
      throw new GatewayAckError('invalid', 'give since or before, not both');
    await this.assertMayRead(socket, room, 'read the history of');
    let page: RoomHistoryPage<ClientEvent>;
    try {
      page = await this.page(room, { since, before, limit });
    } catch {
      throw new GatewayAckError(
        'unavailable',
        'the room history is unavailable; try again',
      );
    }
    return { ok: true, ...page };
  }

  /** `presence { room }` from a socket that is in a presence room or may join it. */
  async presenceOf(
    socket: Socket,
    request: PresencePayload,
  ): Promise<GatewayAck> {
    const { room } = request;
    await this.assertMayRead(socket, room, 'see who is in');
    if (!this.presence.tracks(room))
      throw new GatewayAckError(
        'invalid',
        `room "${room}" has no presence (gateway option rooms: { '${room}': { presence: true } })`,
      );
    try {
      return { ok: true, presence: await this.presence.counts(room) };
    } catch {
      throw new GatewayAckError(
        'unavailable',
        'room presence is unavailable; try again',
      );
    }
  }

  /** A page of `room`'s history, as sockets receive its events. */
  async page(
    room: string,
    query: RoomHistoryQuery = {},
  ): Promise<RoomHistoryPage<ClientEvent>> {
    const page = await this.publisher.readRoomHistory(room, query);
    return {
      ...page,
      events: page.events.map(event => toClientEvent(event, room)),
    };
  }

  /** Sockets and users in `room` on every instance: from the presence store, else by asking the instances. */
  async counts(room: string): Promise<RoomPresenceCounts> {
    if (this.presence.tracks(room)) return this.presence.counts(room);
    const sockets = (await this.server?.in(room).fetchSockets()) ?? [];
    const users = new Set(
      sockets.map(
        s => (s.data as { identity?: SocketIdentity }).identity?.userId,
      ),
    );
    return { sockets: sockets.length, users: users.size };
  }

  private async assertMayRead(
    socket: Socket,
    room: string,
    what: string,
  ): Promise<void> {
    if (socket.rooms.has(room)) return;
    if (await this.authorizer.canJoin(identityOf(socket), room)) return;
    this.counters.forbidden++;
    throw new GatewayAckError(
      'forbidden',
      `not allowed to ${what} room "${room}"`,
    );
  }
}

/** Refuses a room name or history query an app passes to the service, as a publish would. */
export function checkRoomQuery(room: string, query?: RoomHistoryQuery): void {
  if (!isValidRoomName(room))
    throw new EventValidationError(messages.invalidRoom(room), 'room');
  if (query === undefined) return;
  const { since, before, limit } = query;
  const problem =
    since !== undefined && before !== undefined
      ? 'give since or before, not both'
      : [since, before].some(id => id !== undefined && typeof id !== 'string')
        ? 'since and before must be event ids'
        : limit !== undefined &&
            !(
              Number.isInteger(limit) &&
              limit >= 1 &&
              limit <= MAX_HISTORY_LIMIT
            )
          ? `limit is ${JSON.stringify(limit)}`
          : undefined;
  if (problem)
    throw new EventValidationError(
      messages.invalidHistoryQuery(problem),
      'query',
    );
}
