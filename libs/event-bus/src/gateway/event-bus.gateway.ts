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
import { createAdapter } from '@socket.io/redis-adapter';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Server, Socket } from 'socket.io';
import type { EventBusConfig } from '../event-bus.config.js';
import { EventBusLogger } from '../event-bus.logger.js';
import { EventBusService } from '../event-bus.service.js';
import {
  EventPublisher,
  type RoomEvents,
} from '../publishing/event-publisher.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import type { Subscription } from '../interfaces/publish.interface.js';
import type { EventTransport } from '../interfaces/transport.interface.js';
import { IDENTITY_ID_PATTERN, targetRoom } from '../rooms/room-names.js';
import { valueDepthExceeds } from '../envelope/json-depth.js';
import { socketIoAdapterKey } from '../transports/redis/redis-keys.util.js';
import { RedisTransport } from '../transports/redis/redis.transport.js';
import { RedisPresenceStore } from '../transports/redis/redis-presence.store.js';
import {
  PublishRequest,
  SignalRequest,
  SubscribeRequest,
  UnsubscribeRequest,
} from './dto/room-request.dto.js';
import { EventValidationError } from '../errors/event-validation.error.js';
import { EventBusUnavailableError } from '../errors/event-bus-unavailable.error.js';
import { GatewayAckError } from './gateway-ack.error.js';
import { GatewayAckFilter } from './gateway-ack.filter.js';
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
import type {
  ClientEvent,
  GatewayAck,
  GatewayHealth,
  GatewayStats,
  RoomAuthorizer,
  RoomSignal,
  SocketAuthenticator,
  SocketIdentity,
} from './interfaces.js';
import { MemoryPresenceStore } from './presence.store.js';
import { PresenceTracker } from './presence.tracker.js';
import { defaultRooms } from './room-authorizer.js';
import { SocketAuthError } from './socket-auth.error.js';
import { TokenBucket } from './token-bucket.js';

type RedisClient = ReturnType<RedisTransport['createClient']>;

/** A client message as socket.io middleware sees it: [event, ...args, ack?]. */
type Packet = [string, ...unknown[]];

/** How long ids replayed to a socket are kept from reaching it live again. */
const REPLAYED_IDS_TTL_MS = 10_000;
/**
 * How long after a socket joins a room the ids of the live events it got there
 * are kept, so that a `subscribe` with `lastEventId` does not replay them again.
 */
const LIVE_IDS_TTL_MS = 10_000;
/** At most this many live ids per socket and room are kept for that. */
const LIVE_IDS_MAX = 1000;
/** How long a socket over the rate limit has to get the answers to its accepted messages before it is cut. */
const ABUSE_DISCONNECT_GRACE_MS = 5000;

/** What the gateway keeps on `socket.data`. */
interface GatewaySocketData {
  identity: SocketIdentity;
}

/** A socket's standing with the rate limiter. */
interface RateState {
  /** Accepted messages whose ack has not been sent yet. */
  unanswered: number;
  /** Over the limit too long: refuses everything, and is cut once `unanswered` is 0. */
  cutting: boolean;
}

/** Bytes of a value as JSON (0 for undefined; oversize for what JSON cannot hold). */
function jsonSize(value: unknown): number {
  if (value === undefined) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Puts `ids` at room → socket id in `store` for `ttlMs`, then removes them (and the room when it is empty). */
function keepIds(
  store: Map<string, Map<string, Set<string>>>,
  room: string,
  socketId: string,
  ids: Set<string>,
  ttlMs: number,
): void {
  let sockets = store.get(room);
  if (!sockets) store.set(room, (sockets = new Map()));
  sockets.set(socketId, ids);
  setTimeout(() => {
    if (sockets.get(socketId) === ids) sockets.delete(socketId);
    if (sockets.size === 0 && store.get(room) === sockets) store.delete(room);
  }, ttlMs).unref();
}

/** `ClientEvent` of an envelope, for the room it goes to. */
export function toClientEvent(event: EventEnvelope, room: string): ClientEvent {
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    timestamp: event.metadata.timestamp,
    room,
  };
}

/**
 * The socket.io side of the bus. Authenticates handshakes, puts each socket in
 * its own rooms, answers `subscribe` / `unsubscribe` / `ping`, and emits every
 * event published to a room (or user, or broadcast) to the sockets of this
 * instance that are in it. Every instance hears every event on the bus, so
 * each socket gets each event once, from the instance it is connected to;
 * `@socket.io/redis-adapter` links the instances for the server-side API
 * (`addUserToRoom`, `getRoomMembers`, `disconnectUser` on any instance).
 *
 * Enabled by importing `EventBusGatewayModule.forRoot()`; it attaches to the
 * app's HTTP server.
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
  private readonly presence: PresenceTracker;
  private readonly redisClients: RedisClient[] = [];
  /** Presence commands and the adapter's publishes (redis transport only). */
  private commands?: RedisClient;
  /** room → socket id → live events held back while that socket's missed ones are replayed. */
  private readonly recovering = new Map<string, Map<string, ClientEvent[]>>();
  /**
   * room → socket id → ids just replayed to it. An event can be in the history
   * yet reach this instance live only after the replay (PUBLISH trails XADD):
   * for a while those ids skip that socket.
   */
  private readonly replayed = new Map<string, Map<string, Set<string>>>();
  /**
   * room → socket id → ids of the live events the socket got there since it
   * joined (for LIVE_IDS_TTL_MS): a replay into a room the socket is already
   * in leaves them out (its own rooms are joined on connect, before the
   * client's `subscribe` with `lastEventId` arrives).
   */
  private readonly liveSince = new Map<string, Map<string, Set<string>>>();
  private subscription?: Subscription;
  private metrics?: GatewayMetrics;
  private started = false;
  private accepting = true;
  /** socket id → room → expiry timer of its `typing` signal there. */
  private readonly typing = new Map<string, Map<string, NodeJS.Timeout>>();
  private readonly counters = {
    eventsEmitted: 0,
    eventsReplayed: 0,
    clientEventsPublished: 0,
    signalsRelayed: 0,
    unauthorized: 0,
    rateLimited: 0,
    forbidden: 0,
    invalid: 0,
    disconnectedForAbuse: 0,
  };

  private readonly busConfig: EventBusConfig;
  private readonly transport: EventTransport;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: ResolvedGatewayConfig,
    @Inject(SOCKET_AUTHENTICATOR)
    private readonly authenticator: SocketAuthenticator,
    @Inject(ROOM_AUTHORIZER) private readonly authorizer: RoomAuthorizer,
    private readonly bus: EventBusService,
    private readonly publisher: EventPublisher,
  ) {
    // The bus' configuration and transport come through its (internal) publisher: the bus module exports no internal tokens.
    const busConfig = (this.busConfig = publisher.config);
    const transport = (this.transport = publisher.transport);
    this.logger = new EventBusLogger('EventBusGateway', busConfig.logLevel);
    const store =
      transport instanceof RedisTransport
        ? new RedisPresenceStore(
            (this.commands = this.redisClient('gateway')),
            busConfig.redis!.channelPrefix,
          )
        : new MemoryPresenceStore();
    this.presence = new PresenceTracker(
      this.instanceId,
      store,
      bus,
      config.presence,
      busConfig.logLevel,
    );
  }

  afterInit(server: Server): void {
    this.configureEngine(server);
    if (this.commands) {
      const prefix = this.busConfig.redis!.channelPrefix;
      server.adapter(
        createAdapter(this.commands, this.redisClient('gateway-sub'), {
          key: socketIoAdapterKey(prefix),
        }),
      );
    }
    server.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: Error) => next(error),
      );
    });
  }

  /** Starts after every module's init: the bus is connected by then. */
  async onApplicationBootstrap(): Promise<void> {
    // NOTE: Nest 12.1 runs bootstrap hooks twice when init() precedes listen().
    if (this.started) return;
    this.started = true;
    this.subscription = await this.bus.subscribe(
      '**',
      event => this.deliver(event),
      {
        name: 'EventBusGateway',
        retry: { maxRetries: 0 },
        concurrency: 1000,
      },
    );
    await this.presence.start();
    this.metrics = await GatewayMetrics.create(this.busConfig.metrics, () =>
      this.getStats(),
    );
    this.logger.log(
      `Gateway instance ${this.instanceId} ready (${this.transport.kind} transport).`,
    );
  }

  handleConnection(socket: Socket): void {
    const identity = (socket.data as Partial<GatewaySocketData>).identity;
    if (!identity) {
      // Only reachable if the middleware was bypassed; never serve an anonymous socket.
      socket.disconnect(true);
      return;
    }
    const rooms = defaultRooms(identity);
    void socket.join(rooms);
    for (const room of rooms) this.watchLive(room, socket.id);
    this.presence.connected(socket.id, identity);
    socket.emit(SERVER_EVENTS.established, {
      socketId: socket.id,
      userId: identity.userId,
      clientId: identity.clientId,
      ...(identity.sessionId ? { sessionId: identity.sessionId } : {}),
      rooms,
      instanceId: this.instanceId,
      serverTime: new Date().toISOString(),
    });
  }

  handleDisconnect(socket: Socket): void {
    for (const waiting of this.recovering.values()) waiting.delete(socket.id);
    const typing = this.typing.get(socket.id);
    if (typing)
      for (const room of [...typing.keys()]) this.stopTyping(socket, room);
    void this.presence.disconnected(socket.id);
  }

  /**
   * Joins a room the authorizer allows. With `lastEventId`, first replays the
   * room's events after it, in order, then live ones (none lost or doubled in
   * between); `recovered: false` when that id is no longer kept.
   */
  @SubscribeMessage(CLIENT_MESSAGES.subscribe)
  async subscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: SubscribeRequest,
  ): Promise<GatewayAck> {
    const { identity } = socket.data as GatewaySocketData;
    const { room, lastEventId } = request;
    if (!(await this.authorizer.canJoin(identity, room))) {
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
      if (!socket.rooms.has(room)) this.watchLive(room, socket.id);
      await socket.join(room);
      return { ok: true };
    }
    return this.recover(socket, room, lastEventId);
  }

  @SubscribeMessage(CLIENT_MESSAGES.unsubscribe)
  async unsubscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: UnsubscribeRequest,
  ): Promise<GatewayAck> {
    const { identity } = socket.data as GatewaySocketData;
    if (defaultRooms(identity).includes(request.room)) {
      // A socket is always in its own rooms: events to its user, device and session reach it.
      throw new GatewayAckError(
        'forbidden',
        `room "${request.room}" is one of the socket's own rooms; it stays in them until it disconnects`,
      );
    }
    this.stopTyping(socket, request.room);
    this.liveSince.get(request.room)?.delete(socket.id);
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
    const { identity } = socket.data as GatewaySocketData;
    const { type, data } = request;
    if (!(await this.canPublish(identity, type))) {
      this.counters.forbidden++;
      throw new GatewayAckError(
        'forbidden',
        `not allowed to publish "${type}"`,
      );
    }
    const size = jsonSize(data);
    if (size > this.config.clientEvents.maxDataBytes) {
      throw new GatewayAckError(
        'too_large',
        `data is ${size} bytes, over the limit of ${this.config.clientEvents.maxDataBytes}`,
      );
    }
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

  /**
   * Relays an ephemeral signal to the other members of a room the socket is in,
   * on every instance; nothing is stored. `typing` is followed by a `stopped`
   * when not renewed within `signals.typingTimeoutMs`, when stopped with
   * `data: { stopped: true }`, or when the sender leaves.
   */
  @SubscribeMessage(CLIENT_MESSAGES.signal)
  async signal(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: SignalRequest,
  ): Promise<GatewayAck> {
    const { room, kind, data } = request;
    if (!socket.rooms.has(room)) {
      this.counters.forbidden++;
      throw new GatewayAckError(
        'forbidden',
        `subscribe to room "${room}" before signalling in it`,
      );
    }
    if (
      !(await this.canSignal(
        (socket.data as GatewaySocketData).identity,
        room,
        kind,
      ))
    ) {
      this.counters.forbidden++;
      throw new GatewayAckError(
        'forbidden',
        `room "${room}" is receive-only: clients may not signal in it`,
      );
    }
    // The policy may have taken a while: the socket may have left meanwhile.
    if (!socket.rooms.has(room)) {
      this.counters.forbidden++;
      throw new GatewayAckError(
        'forbidden',
        `subscribe to room "${room}" before signalling in it`,
      );
    }
    const size = jsonSize(data);
    if (size > this.config.signals.maxDataBytes) {
      throw new GatewayAckError(
        'too_large',
        `signal data is ${size} bytes, over the limit of ${this.config.signals.maxDataBytes}`,
      );
    }
    if (kind === 'typing') {
      if ((data as { stopped?: unknown } | undefined)?.stopped === true)
        this.stopTyping(socket, room);
      else this.startTyping(socket, room);
      return { ok: true };
    }
    this.relay(socket, { room, kind, ...(data !== undefined ? { data } : {}) });
    return { ok: true };
  }

  @SubscribeMessage(CLIENT_MESSAGES.ping)
  ping(): GatewayAck {
    return { ok: true, serverTime: new Date().toISOString() };
  }

  getStats(): GatewayStats {
    const c = this.counters;
    return {
      instanceId: this.instanceId,
      sockets: this.server?.of('/').sockets.size ?? 0,
      users: this.presence.localUsers,
      eventsEmitted: c.eventsEmitted,
      eventsReplayed: c.eventsReplayed,
      clientEventsPublished: c.clientEventsPublished,
      signalsRelayed: c.signalsRelayed,
      rejected: {
        unauthorized: c.unauthorized,
        rateLimited: c.rateLimited,
        forbidden: c.forbidden,
        invalid: c.invalid,
        disconnectedForAbuse: c.disconnectedForAbuse,
      },
    };
  }

  /**
   * Whether this instance can serve sockets: it takes handshakes and, on Redis,
   * its command and adapter connections are up.
   */
  health(): GatewayHealth {
    const sockets = this.server?.of('/').sockets.size ?? 0;
    if (!this.server || !this.started)
      return { healthy: false, sockets, reason: 'the gateway has not started' };
    if (!this.accepting)
      return {
        healthy: false,
        sockets,
        reason: 'the gateway is shutting down',
      };
    const down = this.redisClients.filter(client => client.status !== 'ready');
    if (down.length > 0)
      return {
        healthy: false,
        sockets,
        reason: `${down.length} gateway Redis connection(s) not ready`,
      };
    return { healthy: true, sockets };
  }

  /** @internal used by EventBusGatewayService */
  get presenceTracker(): PresenceTracker {
    return this.presence;
  }

  /**
   * Tells this instance's clients it is going away, stops taking connections,
   * records their sessions as gone and closes the adapter's Redis connections.
   * Runs before the bus shuts down, so the presence events still go out.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.accepting) return;
    this.accepting = false;
    this.metrics?.remove();
    await this.subscription?.unsubscribe().catch(() => undefined);
    if (this.server) {
      this.server.local.emit(SERVER_EVENTS.shutdown, {
        message: 'Server is shutting down; reconnect to another instance.',
        instanceId: this.instanceId,
        timestamp: new Date().toISOString(),
      });
      this.server.local.disconnectSockets(true);
    }
    await this.presence.stop();
    const adapter = this.server?.of('/').adapter as
      { close?: () => unknown } | undefined;
    // NOTE: quitting the subscriber below ends the adapter's subscriptions. Its own close(),
    // which Nest calls later, would UNSUBSCRIBE on a closed connection and the rejected
    // promises (unhandled inside the adapter) would crash the process.
    if (adapter && this.redisClients.length > 0)
      adapter.close = () => undefined;
    await Promise.all(
      this.redisClients.map(client =>
        client.quit().catch(() => client.disconnect()),
      ),
    );
  }

  private async recover(
    socket: Socket,
    room: string,
    lastEventId: string,
  ): Promise<GatewayAck> {
    // What the socket already got live in the room is not sent again.
    const seenLive = socket.rooms.has(room)
      ? this.liveSince.get(room)?.get(socket.id)
      : undefined;
    // Held back until the replay is out: the socket is not in the room meanwhile.
    if (socket.rooms.has(room)) await socket.leave(room);
    let waiting = this.recovering.get(room);
    if (!waiting) this.recovering.set(room, (waiting = new Map()));
    const held: ClientEvent[] = [];
    waiting.set(socket.id, held);
    let replay: RoomEvents;
    try {
      replay = await this.publisher.replayRoom(room, lastEventId);
    } catch (error) {
      this.logger.limited(
        'room history unreadable',
        'warn',
        `Could not read the history of room "${room}": ${(error as Error).message}.`,
      );
      replay = { recovered: false, events: [] };
    } finally {
      waiting.delete(socket.id);
      if (waiting.size === 0) this.recovering.delete(room);
    }
    // NOTE: the socket goes back in the room whatever happens below: a socket is always in the rooms it was in.
    const sent = new Set<string>();
    try {
      if (!socket.connected)
        return { ok: false, code: 'unavailable', error: 'disconnected' };
      let replayed = 0;
      let leftOut = false;
      for (const event of replay.events) {
        if (seenLive?.has(event.id)) leftOut = true;
        if (seenLive?.has(event.id) || sent.has(event.id)) continue;
        sent.add(event.id);
        socket.emit(event.type, toClientEvent(event, room));
        replayed++;
      }
      for (const event of held) {
        if (sent.has(event.id)) continue;
        sent.add(event.id);
        socket.emit(event.type, event);
      }
      this.counters.eventsReplayed += replayed;
      const ack: GatewayAck = {
        ok: true,
        recovered: replay.recovered,
        replayed,
      };
      // What it got live came before what is replayed: tell a client that buffers where it belongs.
      if (leftOut) ack.replayOrder = replay.events.map(event => event.id);
      return ack;
    } finally {
      // Same tick as the flush above: no live event can fall in between.
      void socket.join(room);
      this.watchLive(room, socket.id, sent);
      if (sent.size > 0) this.rememberReplayed(room, socket.id, sent);
    }
  }

  /** Starts keeping the ids of the live events `socketId` gets in `room` (see `liveSince`). */
  private watchLive(
    room: string,
    socketId: string,
    initial?: Set<string>,
  ): void {
    keepIds(this.liveSince, room, socketId, new Set(initial), LIVE_IDS_TTL_MS);
  }

  private async canSignal(
    identity: SocketIdentity,
    room: string,
    kind: string,
  ): Promise<boolean> {
    const custom = this.config.options.signals?.canSignal;
    if (custom) return (await custom(identity, room, kind)) === true;
    return !this.config.isReceiveOnly(room);
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

  private startTyping(socket: Socket, room: string): void {
    let rooms = this.typing.get(socket.id);
    if (!rooms) this.typing.set(socket.id, (rooms = new Map()));
    const running = rooms.get(room);
    if (running) clearTimeout(running);
    else this.relay(socket, { room, kind: 'typing', state: 'started' });
    const timer = setTimeout(
      () => this.stopTyping(socket, room),
      this.config.signals.typingTimeoutMs,
    );
    timer.unref();
    rooms.set(room, timer);
  }

  private stopTyping(socket: Socket, room: string): void {
    const rooms = this.typing.get(socket.id);
    const timer = rooms?.get(room);
    if (!rooms || !timer) return;
    clearTimeout(timer);
    rooms.delete(room);
    if (rooms.size === 0) this.typing.delete(socket.id);
    this.relay(socket, { room, kind: 'typing', state: 'stopped' });
  }

  /** To the room's other sockets on every instance (through the adapter), never back to the sender. */
  private relay(socket: Socket, signal: Omit<RoomSignal, 'from' | 'at'>): void {
    const { identity } = socket.data as GatewaySocketData;
    const payload: RoomSignal = {
      ...signal,
      from: { userId: identity.userId },
      at: new Date().toISOString(),
    };
    // A disconnected socket has left its rooms: send from the server, leaving it out.
    if (socket.connected)
      socket.to(signal.room).emit(SERVER_EVENTS.signal, payload);
    else
      this.server
        .to(signal.room)
        .except(socket.id)
        .emit(SERVER_EVENTS.signal, payload);
    this.counters.signalsRelayed++;
  }

  private rememberReplayed(
    room: string,
    socketId: string,
    ids: Set<string>,
  ): void {
    keepIds(this.replayed, room, socketId, ids, REPLAYED_IDS_TTL_MS);
  }

  private deliver(event: EventEnvelope): void {
    const room = targetRoom(event.metadata);
    if (room === undefined || !this.server) return;
    const payload = toClientEvent(event, room);
    const waiting = this.recovering.get(room);
    if (waiting) for (const held of waiting.values()) held.push(payload);
    try {
      // local: every instance hears the bus itself; the adapter must not fan it out again.
      let target = this.server.local.to(room);
      const replayed = this.replayed.get(room);
      if (replayed)
        for (const [socketId, ids] of replayed)
          if (ids.has(event.id)) target = target.except(socketId);
      target.emit(event.type, payload);
      this.counters.eventsEmitted++;
      const watching = this.liveSince.get(room);
      if (watching)
        for (const ids of watching.values())
          if (ids.size < LIVE_IDS_MAX) ids.add(event.id);
    } catch (error) {
      this.logger.limited(
        'emit failed',
        'warn',
        `Could not emit ${event.type} to room "${room}": ${(error as Error).message}.`,
      );
    }
  }

  private async authenticate(socket: Socket): Promise<void> {
    let identity: SocketIdentity;
    try {
      identity = await this.authenticator.authenticate(socket.handshake);
      if (
        !identity ||
        typeof identity.userId !== 'string' ||
        !IDENTITY_ID_PATTERN.test(identity.userId)
      ) {
        throw new SocketAuthError(
          'the authenticator returned no valid userId (1-100 characters of letters, digits and "_ - . @")',
        );
      }
      if (!identity.clientId || !IDENTITY_ID_PATTERN.test(identity.clientId))
        identity = {
          ...identity,
          clientId: socket.id.replace(/[^A-Za-z0-9_\-.@]/g, '_'),
        };
      if (
        identity.sessionId !== undefined &&
        !IDENTITY_ID_PATTERN.test(identity.sessionId)
      )
        identity = { ...identity, sessionId: undefined };
      identity.permissions ??= [];
      identity.claims ??= {};
    } catch (error) {
      this.counters.unauthorized++;
      const reason =
        error instanceof SocketAuthError
          ? error.reason
          : 'authentication failed';
      if (!(error instanceof SocketAuthError))
        this.logger.limited(
          'authenticator threw',
          'warn',
          `Socket authenticator threw: ${(error as Error)?.message}`,
        );
      throw Object.assign(new Error('unauthorized'), { data: { reason } });
    }
    (socket.data as GatewaySocketData).identity = identity;
    this.limitRate(socket, identity);
    this.limitDepth(socket);
  }

  /**
   * Refuses, with `invalid`, a message nested deeper than `limits.maxDepth`
   * (plus the message's own level): validation, size checks and socket.io's
   * encoder recurse, and must never meet such a value.
   */
  private limitDepth(socket: Socket): void {
    const { maxDepth } = this.busConfig.limits;
    socket.use((packet: Packet, next) => {
      const ack = packet[packet.length - 1];
      const args =
        typeof ack === 'function' ? packet.slice(1, -1) : packet.slice(1);
      // args (an array) and the message object are two levels above `data`.
      if (!valueDepthExceeds(args, maxDepth + 2)) return next();
      this.counters.invalid++;
      if (typeof ack === 'function') {
        (ack as (reply: GatewayAck) => void)({
          ok: false,
          code: 'invalid',
          error: `the message is nested deeper than ${maxDepth} levels (limits.maxDepth)`,
        });
      }
    });
  }

  /**
   * A token bucket over the socket's messages. Refused ones are answered
   * `rate_limited` at once; after `disconnectAfter` refusals with no quiet
   * second between them the socket is cut, once every message accepted
   * before has been answered.
   */
  private limitRate(socket: Socket, identity: SocketIdentity): void {
    const { burst, perSecond, disconnectAfter } = this.config.rateLimit;
    const bucket = new TokenBucket(burst, perSecond);
    const state: RateState = { unanswered: 0, cutting: false };
    const last = (packet: Packet) => packet.length - 1;
    socket.use((packet: Packet, next) => {
      const ack = packet[last(packet)];
      if (!state.cutting && bucket.take()) {
        if (typeof ack === 'function') {
          state.unanswered++;
          packet[last(packet)] = (...reply: unknown[]) => {
            (ack as (...args: unknown[]) => void)(...reply);
            if (--state.unanswered === 0 && state.cutting)
              socket.disconnect(true);
          };
        }
        return next();
      }
      this.counters.rateLimited++;
      if (typeof ack === 'function') {
        (ack as (reply: GatewayAck) => void)({
          ok: false,
          code: 'rate_limited',
          error: `more than ${perSecond} messages per second (burst ${burst}); slow down`,
        });
      }
      if (!state.cutting && bucket.refusals >= disconnectAfter) {
        state.cutting = true;
        this.counters.disconnectedForAbuse++;
        this.logger.limited(
          'disconnected for abuse',
          'warn',
          `Disconnecting socket ${socket.id} of user ${identity.userId}: ${bucket.refusals} messages over the rate limit without a quiet second.`,
        );
        if (state.unanswered === 0) socket.disconnect(true);
        // A handler that never answers must not keep an abusive socket connected.
        else
          setTimeout(
            () => socket.disconnect(true),
            ABUSE_DISCONNECT_GRACE_MS,
          ).unref();
      }
    });
  }

  /** Message size, transports and origins: options Nest's decorator cannot take from the module. */
  private configureEngine(server: Server): void {
    const engine = server.engine as unknown as {
      opts: {
        maxHttpBufferSize: number;
        transports: string[];
        allowRequest?: (
          req: IncomingMessage,
          cb: (err: string | null | undefined, ok: boolean) => void,
        ) => void;
      };
      ws?: { options: { maxPayload: number } };
      use(
        middleware: (
          req: IncomingMessage,
          res: ServerResponse,
          next: (err?: unknown) => void,
        ) => void,
      ): void;
    };
    engine.opts.maxHttpBufferSize = this.config.maxHttpBufferSize;
    // engine.io built its WebSocket server with the default limit already.
    if (engine.ws?.options)
      engine.ws.options.maxPayload = this.config.maxHttpBufferSize;
    engine.opts.transports = [...this.config.transports];
    engine.opts.allowRequest = (req, callback) => {
      if (!this.accepting) return callback('server is shutting down', false);
      const origin = req.headers.origin;
      if (origin && !this.isAllowedOrigin(origin, req))
        return callback(
          `origin ${origin} is not allowed (gateway option corsOrigins)`,
          false,
        );
      callback(null, true);
    };
    engine.use((req, res, next) => {
      const origin = req.headers.origin;
      if (origin && this.isAllowedOrigin(origin, req)) {
        res.setHeader('Access-Control-Allow-Origin', origin);
        res.setHeader('Access-Control-Allow-Credentials', 'true');
        res.setHeader('Vary', 'Origin');
        if (req.method === 'OPTIONS') {
          res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
          res.setHeader(
            'Access-Control-Allow-Headers',
            'Authorization, Content-Type',
          );
          res.writeHead(204);
          res.end();
          return;
        }
      }
      next();
    });
  }

  private isAllowedOrigin(origin: string, req: IncomingMessage): boolean {
    const allowed = this.config.corsOrigins;
    if (allowed === '*') return true;
    if (allowed.includes(origin)) return true;
    // Same origin: the page was served by this host.
    const host = req.headers.host;
    return (
      host !== undefined &&
      (origin === `http://${host}` || origin === `https://${host}`)
    );
  }

  private redisClient(role: 'gateway' | 'gateway-sub'): RedisClient {
    const client = (this.transport as RedisTransport).createClient(role);
    void client.connect().catch(() => undefined);
    this.redisClients.push(client);
    return client;
  }
}
