import {
  Inject,
  UseFilters,
  UsePipes,
  ValidationPipe,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import { randomUUID } from 'node:crypto';
import type { Server, Socket } from 'socket.io';
import { EventBusLogger } from '../event-bus.logger.js';
import { within } from '../within.util.js';
import { EventBusService } from '../event-bus.service.js';
import { EventRouter } from '../routing/event-router.js';
import { EventPublisher } from '../publishing/event-publisher.js';
import { EventValidationError } from '../errors/event-validation.error.js';
import { EventBusUnavailableError } from '../errors/event-bus-unavailable.error.js';
import { HistoryRequest, PresenceRequest } from './dto/room-query.dto.js';
import {
  PublishRequest,
  SignalRequest,
  SubscribeRequest,
  UnsubscribeRequest,
} from './dto/room-request.dto.js';
import { ConnectionRateLimiter } from './connection-rate-limiter.js';
import { GatewayAckError } from './gateway-ack.error.js';
import { GatewayAckFilter } from './gateway-ack.filter.js';
import { GatewayAdapterMissingError } from './gateway-adapter-missing.error.js';
import { GatewayCounters } from './gateway-counters.js';
import { GlobalDelivery } from './global-delivery.js';
import { publishSubscribed } from './client-subscribed.js';
import { socketUsage } from './socket-usage.js';
import { GatewayEngine } from './gateway-engine.js';
import { GatewayRooms } from './gateway-rooms.js';
import { GatewayMetrics } from './gateway.metrics.js';
import {
  GATEWAY_CONFIG,
  type ResolvedGatewayConfig,
} from './gateway.config.js';
import {
  CLIENT_MESSAGES,
  ROOM_AUTHORIZER,
  SERVER_EVENTS,
  SOCKET_AUTHENTICATOR,
} from './gateway.constants.js';
import { HandshakeMiddleware, identityOf } from './handshake.middleware.js';
import type {
  ConnectionEstablished,
  GatewayAck,
  GatewayHealth,
  GatewayStats,
  PongPayload,
  RoomAuthorizer,
  ShutdownNotice,
  SocketAuthenticator,
  SocketIdentity,
} from './interfaces.js';
import { checkClientData } from './client-data.js';
import { MemoryPresenceStore } from './presence.store.js';
import { PresenceTracker } from './presence.tracker.js';
import { defaultRooms } from './room-authorizer.js';
import { isValidRoomName } from '../rooms/room-names.js';
import { RoomDelivery } from './room-delivery.js';
import { RoomRecovery } from './room-recovery.js';
import { RoomOutageRepair } from './room-outage-repair.js';
import { RoomSignals } from './room-signals.js';

/** Longest shutdown waits for this instance's presence records to be removed from the store. */
const PRESENCE_STOP_TIMEOUT_MS = 2000;
/**
 * The socket.io side of the bus. Authenticates handshakes, puts each socket in
 * its own rooms, answers `subscribe` / `unsubscribe` / `publish` / `signal` /
 * `history` / `presence` / `ping`, and emits every event published to a room
 * (or user, or broadcast) to the sockets of this instance that are in it;
 * `@socket.io/redis-adapter` links the instances for the server-side API (`addUserToRoom`,
 * `getRoomMembers`, `disconnectUser` on any instance).
 *
 * Enabled by importing `EventBusGatewayModule.forRoot()` and installing
 * `EventBusIoAdapter`; it attaches to the app's HTTP server.
 *
 * @publicApi
 */
@WebSocketGateway({ transports: ['websocket', 'polling'] })
@UseFilters(GatewayAckFilter)
@UsePipes(new ValidationPipe({ whitelist: true, forbidUnknownValues: true }))
export class EventBusGateway
  implements
    OnGatewayInit,
    OnGatewayConnection,
    OnGatewayDisconnect,
    OnApplicationBootstrap,
    BeforeApplicationShutdown
{
  @WebSocketServer()
  server!: Server;

  readonly instanceId = randomUUID();
  private readonly logger: EventBusLogger;
  private readonly counters = new GatewayCounters();
  private readonly presence: PresenceTracker;
  private readonly handshake: HandshakeMiddleware;
  private readonly delivery: RoomDelivery;
  private readonly recovery: RoomRecovery;
  private readonly outageRepair: RoomOutageRepair;
  private readonly signals: RoomSignals;
  private readonly global: GlobalDelivery;
  private readonly rooms: GatewayRooms;
  private metrics?: GatewayMetrics;
  private started = false;
  private startedAt?: number;
  /** Per socket: when its last room request has been answered (see `inOrder`). */
  private readonly roomRequests = new Map<string, Promise<void>>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: ResolvedGatewayConfig,
    @Inject(SOCKET_AUTHENTICATOR) authenticator: SocketAuthenticator,
    @Inject(ROOM_AUTHORIZER) private readonly authorizer: RoomAuthorizer,
    private readonly bus: EventBusService,
    private readonly publisher: EventPublisher,
    private readonly engine: GatewayEngine,
    router: EventRouter,
  ) {
    // The bus' configuration comes through its (internal) publisher: the bus module exports no internal tokens.
    const busConfig = publisher.config;
    this.logger = new EventBusLogger('EventBusGateway', busConfig.logLevel);
    this.presence = new PresenceTracker(
      this.instanceId,
      engine.redis?.presenceStore() ?? new MemoryPresenceStore(),
      bus,
      config.presence,
      busConfig.logLevel,
    );
    this.handshake = new HandshakeMiddleware(
      authenticator,
      { rateLimit: config.rateLimit, maxDepth: busConfig.limits.maxDepth },
      this.counters,
      this.logger,
      config.connectionRateLimit &&
        new ConnectionRateLimiter(config.connectionRateLimit),
    );
    this.delivery = new RoomDelivery(
      router,
      this.counters,
      this.logger,
      config.socketEventName,
    );
    this.recovery = new RoomRecovery(
      publisher,
      this.delivery,
      this.counters,
      this.logger,
    );
    this.outageRepair = new RoomOutageRepair(
      publisher.transport,
      publisher,
      this.delivery,
      room => config.rooms.history(room, busConfig.roomHistory),
      this.counters,
      this.logger,
    );
    this.signals = new RoomSignals(config, this.counters);
    this.global = new GlobalDelivery(
      config.globalEvents,
      router,
      this.counters,
      this.logger,
    );
    this.rooms = new GatewayRooms(
      this.instanceId,
      config,
      authorizer,
      publisher,
      engine.redis,
      (room, socketId) => this.delivery.isHolding(room, socketId),
      this.counters,
      this.logger,
    );
    this.presence.onDeadInstance = id => this.rooms.presence.purge(id);
    this.presence.onRecordsLost = () => this.rooms.presence.restore();
  }

  afterInit(server: Server): void {
    this.delivery.attach(server);
    this.signals.attach(server);
    this.global.attach(server);
    this.rooms.attach(server);
    server.use(this.handshake.handle);
  }

  /** Starts after every module's init: the bus is connected by then. */
  async onApplicationBootstrap(): Promise<void> {
    // NOTE: Nest 12.1 runs bootstrap hooks twice when init() precedes listen().
    if (this.started) return;
    // Here rather than in afterInit: a throw there would not fail the start (rxjs reports it later).
    if (this.server && !this.engine.serves(this.server))
      throw new GatewayAdapterMissingError();
    this.started = true;
    await this.delivery.start();
    this.outageRepair.start();
    await this.global.start();
    await this.presence.start();
    this.startedAt = Date.now();
    this.metrics = await GatewayMetrics.create(
      this.publisher.config.metrics,
      () => this.getStats(),
    );
    this.logger.log(
      `Gateway instance ${this.instanceId} ready (${this.publisher.transport.kind} transport).`,
    );
  }

  async handleConnection(socket: Socket): Promise<void> {
    const identity = identityOf(socket) as SocketIdentity | undefined;
    if (!identity) {
      // Only reachable if the middleware was bypassed; never serve an anonymous socket.
      socket.disconnect(true);
      return;
    }
    const rooms = defaultRooms(identity);
    void socket.join(rooms);
    for (const room of rooms) this.delivery.watchLive(room, socket.id);
    this.presence.connected(socket.id, identity);
    // Nest's handleDisconnect is not given socket.io's reason; client.disconnected carries it.
    socket.once('disconnect', (reason: string) => {
      void this.presence.disconnected(socket.id, reason);
    });
    // Told once in its persistent rooms too: what is published there from then on reaches it.
    const saved = await this.rooms.persistent.joinSaved(socket);
    for (const room of saved) this.delivery.watchLive(room, socket.id);
    const now = new Date().toISOString();
    const established: ConnectionEstablished = {
      socketId: socket.id,
      userId: identity.userId,
      clientId: identity.clientId,
      ...(identity.sessionId ? { sessionId: identity.sessionId } : {}),
      rooms: [...rooms, ...saved],
      instanceId: this.instanceId,
      serverTime: now,
      timestamp: now,
    };
    socket.emit(SERVER_EVENTS.established, established);
  }

  handleDisconnect(socket: Socket): void {
    this.delivery.disconnected(socket.id);
    this.signals.disconnected(socket);
    this.rooms.presence.disconnected(socket.id);
  }

  /**
   * Joins a room the authorizer allows. With `lastEventId`, first replays the
   * room's events after it, in order, then live ones (none lost or doubled in
   * between); `recovered: false` when that id is no longer kept.
   */
  @SubscribeMessage(CLIENT_MESSAGES.subscribe)
  subscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: SubscribeRequest,
  ): Promise<GatewayAck> {
    return this.subscribeSocket(socket, request.room, request.lastEventId);
  }

  /**
   * Joins `socket` to `room` as its `subscribe` would (the authorizer, the room
   * limit, the order of its room requests, a recovery from `lastEventId`), and
   * publishes `client.subscribed`: for an app's own messages (the demo's
   * `subscribe:photo`). Throws `GatewayAckError` when refused.
   */
  async subscribeSocket(
    socket: Socket,
    room: string,
    lastEventId?: string,
  ): Promise<GatewayAck> {
    if (!isValidRoomName(room))
      throw new GatewayAckError(
        'invalid',
        'room must be 1-128 characters of letters, digits and _ - . : @',
      );
    // Told once per join: subscribing again to a room the socket is in (a flood of them) is no news.
    let joining = false;
    const ack = await this.inOrder(socket, () => {
      joining = !socket.rooms.has(room);
      return this.join(socket, { room, lastEventId } as SubscribeRequest);
    });
    if (joining)
      publishSubscribed(this.bus, socket, room, this.instanceId, this.logger);
    return ack;
  }

  /** Takes `socket` out of `room` as its `unsubscribe` would (its own rooms are refused). */
  unsubscribeSocket(socket: Socket, room: string): Promise<GatewayAck> {
    return this.inOrder(socket, () =>
      this.leave(socket, { room } as UnsubscribeRequest),
    );
  }

  @SubscribeMessage(CLIENT_MESSAGES.unsubscribe)
  unsubscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: UnsubscribeRequest,
  ): Promise<GatewayAck> {
    return this.inOrder(socket, () => this.leave(socket, request));
  }

  /**
   * Runs the room requests of one socket one after the other, in the order it
   * sent them. A join waits for the authorizer and, with `lastEventId`, for
   * the room's history: an `unsubscribe` sent meanwhile must not be undone by
   * the join finishing after it, nor two joins pass `maxRoomsPerSocket`
   * together.
   */
  private inOrder(
    socket: Socket,
    request: () => Promise<GatewayAck>,
  ): Promise<GatewayAck> {
    const previous = this.roomRequests.get(socket.id) ?? Promise.resolve();
    const answer = previous.then(request);
    const settled = answer.then(
      () => undefined,
      () => undefined,
    );
    this.roomRequests.set(socket.id, settled);
    void settled.then(() => {
      if (this.roomRequests.get(socket.id) === settled)
        this.roomRequests.delete(socket.id);
    });
    return answer;
  }

  private async join(
    socket: Socket,
    request: SubscribeRequest,
  ): Promise<GatewayAck> {
    const { room, lastEventId } = request;
    // A socket in the room already (its persistent rooms) may recover there without the authorizer.
    if (
      !socket.rooms.has(room) &&
      !(await this.authorizer.canJoin(identityOf(socket), room))
    ) {
      this.counters.forbidden++;
      throw new GatewayAckError(
        'forbidden',
        `not allowed to join room "${room}"`,
      );
    }
    const joined = socket.rooms.size - 1; // socket.io puts every socket in a room of its own id
    if (!socket.rooms.has(room) && joined >= this.config.maxRoomsPerSocket) {
      throw new GatewayAckError(
        'too_many_rooms',
        `a socket may be in at most ${this.config.maxRoomsPerSocket} rooms; unsubscribe from one first`,
      );
    }
    if (!lastEventId) {
      if (!socket.rooms.has(room)) this.delivery.watchLive(room, socket.id);
      await socket.join(room);
      return { ok: true };
    }
    return this.recovery.recover(socket, room, lastEventId);
  }

  private async leave(
    socket: Socket,
    request: UnsubscribeRequest,
  ): Promise<GatewayAck> {
    if (defaultRooms(identityOf(socket)).includes(request.room)) {
      // A socket is always in its own rooms: events to its user, device and session reach it.
      throw new GatewayAckError(
        'forbidden',
        `room "${request.room}" is one of the socket's own rooms; it stays in them until it disconnects`,
      );
    }
    this.signals.stopTyping(socket, request.room);
    this.delivery.left(request.room, socket.id);
    await socket.leave(request.room);
    return { ok: true };
  }

  /**
   * Puts an event on the bus for the socket, if the policy lets it publish the
   * type: with `source: 'gateway'` and the sender in `userId`, `clientId`,
   * `sessionId`, checked against the type's DTO. `@OnEvent` handlers get it like
   * any other event.
   */
  @SubscribeMessage(CLIENT_MESSAGES.publish)
  async publish(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: PublishRequest,
  ): Promise<GatewayAck> {
    const identity = identityOf(socket);
    const { type, data } = request;
    if (!(await this.canPublish(identity, type))) {
      this.counters.forbidden++;
      throw new GatewayAckError(
        'forbidden',
        `not allowed to publish "${type}"`,
      );
    }
    checkClientData(
      data,
      this.config.clientEvents.maxDataBytes,
      this.publisher.config.limits.maxDepth,
    );
    try {
      const result = await this.publisher.publishFromClient(type, data, {
        userId: identity.userId,
        clientId: identity.clientId,
        sessionId: identity.sessionId,
      });
      this.counters.clientEventsPublished++;
      return { ok: true, eventId: result.eventId };
    } catch (error) {
      if (error instanceof EventValidationError) {
        this.counters.invalid++;
        throw new GatewayAckError(
          error.limitUnit === 'bytes' ? 'too_large' : 'invalid',
          error.message,
        );
      }
      if (error instanceof EventBusUnavailableError)
        throw new GatewayAckError(
          'unavailable',
          'the event bus is unavailable; try again',
        );
      throw error;
    }
  }

  /** Relays an ephemeral signal to the other members of a room the socket is in (see `RoomSignals`). */
  @SubscribeMessage(CLIENT_MESSAGES.signal)
  async signal(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: SignalRequest,
  ): Promise<GatewayAck> {
    await this.signals.signal(socket, request);
    return { ok: true };
  }

  /** A page of a room's history, for a socket in the room or allowed to join it (see `GatewayRooms`). */
  @SubscribeMessage(CLIENT_MESSAGES.history)
  history(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: HistoryRequest,
  ): Promise<GatewayAck> {
    return this.rooms.history(socket, request);
  }

  /** Sockets and users in a presence room, for a socket in it or allowed to join it. */
  @SubscribeMessage(CLIENT_MESSAGES.presence)
  roomPresence(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: PresenceRequest,
  ): Promise<GatewayAck> {
    return this.rooms.presenceOf(socket, request);
  }

  /** Answered twice: the ack (`serverTime`), and a `pong` event as seed 003's clients expect. */
  @SubscribeMessage(CLIENT_MESSAGES.ping)
  ping(@ConnectedSocket() socket: Socket): GatewayAck {
    const now = new Date().toISOString();
    const pong: PongPayload = { timestamp: now };
    socket.emit(SERVER_EVENTS.pong, pong);
    return { ok: true, serverTime: now };
  }

  getStats(): GatewayStats {
    return {
      ...this.counters.toStats(
        this.instanceId,
        this.server?.of('/').sockets.size ?? 0,
        this.presence.localUsers,
      ),
      ...socketUsage(this.server),
      uptime: this.uptime(),
    };
  }

  private uptime(): number {
    return this.startedAt === undefined
      ? 0
      : Math.round((Date.now() - this.startedAt) / 1000);
  }

  /**
   * Whether this instance can serve sockets: it takes handshakes and, on Redis,
   * its command and adapter connections are up.
   */
  health(): GatewayHealth {
    const figures = {
      sockets: this.server?.of('/').sockets.size ?? 0,
      ...socketUsage(this.server),
      uptime: this.uptime(),
    };
    if (!this.server || !this.started)
      return {
        healthy: false,
        ...figures,
        reason: 'the gateway has not started',
      };
    if (!this.engine.isAccepting)
      return {
        healthy: false,
        ...figures,
        reason: 'the gateway is shutting down',
      };
    const down = this.engine.redis?.notReady() ?? 0;
    if (down > 0)
      return {
        healthy: false,
        ...figures,
        reason: `${down} gateway Redis connection(s) not ready`,
      };
    return { healthy: true, ...figures };
  }

  /** @internal used by EventBusGatewayService */
  get presenceTracker(): PresenceTracker {
    return this.presence;
  }

  /** @internal used by EventBusGatewayService */
  get roomFeatures(): GatewayRooms {
    return this.rooms;
  }

  /**
   * Tells this instance's clients it is going away, stops taking connections
   * and records their sessions as gone. Runs before the bus shuts down, so the
   * presence events still go out; `EventBusIoAdapter` closes the gateway's
   * Redis connections after the server.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.engine.isAccepting) return;
    this.engine.stopAccepting();
    this.metrics?.remove();
    this.outageRepair.stop();
    await this.delivery.stop();
    await this.global.stop();
    if (this.server) {
      const notice: ShutdownNotice = {
        message: 'Server is shutting down; reconnect to another instance.',
        instanceId: this.instanceId,
        timestamp: new Date().toISOString(),
      };
      this.server.local.emit(SERVER_EVENTS.shutdown, notice);
      this.server.local.disconnectSockets(true);
    }
    // NOTE: with Redis away the presence commands would wait for every reconnect; the other
    // instances remove this one's sessions once its heartbeat has expired (presence.ttlMs).
    await within(
      Promise.all([this.presence.stop(), this.rooms.presence.stop()]),
      PRESENCE_STOP_TIMEOUT_MS,
    );
  }

  private async canPublish(
    identity: SocketIdentity,
    type: string,
  ): Promise<boolean> {
    const custom = this.config.options.clientEvents?.canPublish;
    if (custom) return (await custom(identity, type)) === true;
    return this.config.clientEvents.allow.some(
      ([match, permission]) =>
        match(type) &&
        (permission === null || identity.permissions.includes(permission)),
    );
  }
}
