import type { Type } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { GatewayRoomOptions } from './room-options.js';

export type { GatewayRoomOptions } from './room-options.js';
export type {
  RoomHistoryPage,
  RoomHistoryQuery,
} from '../rooms/room-history-page.js';

// The wire protocol's shapes, shared with the client SDK.
export type {
  ClientEvent,
  ConnectionEstablished,
  GatewayAck,
  GatewayAckCode,
  PongPayload,
  HistoryPayload,
  PresencePayload,
  PublishPayload,
  RoomPresenceCounts,
  RoomPresenceEvent,
  RoomSignal,
  ShutdownNotice,
  SignalPayload,
  SubscribePayload,
  UnsubscribePayload,
} from '@shared-infra/event-bus-client/protocol';

/**
 * Who is behind a socket: set by the authenticator before `connection`, read
 * with `socket.data.identity`.
 *
 * @publicApi
 */
export interface SocketIdentity {
  userId: string;
  /** The device or tab; a user may have several at once. */
  clientId: string;
  sessionId?: string;
  permissions: string[];
  /** Every claim of the token (or what a custom authenticator returns). */
  claims: Record<string, unknown>;
}

/** The handshake as an authenticator sees it. @publicApi */
export type SocketHandshake = Pick<
  Socket['handshake'],
  'auth' | 'headers' | 'query' | 'address'
>;

/**
 * Turns a handshake into an identity, or throws `SocketAuthError` with the
 * reason the client will see. The default verifies a JWT.
 *
 * @publicApi
 */
export interface SocketAuthenticator {
  authenticate(
    handshake: SocketHandshake,
  ): Promise<SocketIdentity> | SocketIdentity;
}

/**
 * Decides whether a socket may join a room through `subscribe`.
 *
 * @publicApi
 */
export interface RoomAuthorizer {
  canJoin(identity: SocketIdentity, room: string): Promise<boolean> | boolean;
}

/**
 * Settings of `EventBusGatewayModule.forRoot()`.
 *
 * @publicApi
 */
export interface EventBusGatewayOptions {
  /**
   * JWT verification of `auth.token` (or `Authorization: Bearer`), with
   * `@nestjs/jwt`. Claims: `sub` or `userId`; `clientId` (else the client's
   * `auth.clientId`, else the socket id); `sessionId` or `sid`; `permissions`
   * (array) or `scope` (space-separated). Required unless `authenticator` is given.
   * @example { secret: process.env.JWT_SECRET }
   */
  jwt?: GatewayJwtOptions;
  /**
   * Another authentication scheme: a class (instantiated with Nest DI, so it
   * can inject services) or an instance. Replaces `jwt`.
   */
  authenticator?: Type<SocketAuthenticator> | SocketAuthenticator;
  /**
   * Which rooms other than a socket's own (`user:<userId>`,
   * `client:<userId>:<clientId>`, `session:<userId>:<sessionId>` of its
   * identity, and `global`) it may join. Not given: none. Any `user:`,
   * `client:` or `session:` room but its own is always refused.
   * @example (identity, room) => room.startsWith('photo:') && photos.isOwner(identity.userId, room.slice(6))
   */
  authorizeRoom?: (
    identity: SocketIdentity,
    room: string,
  ) => Promise<boolean> | boolean;
  /** Replaces the default room authorizer altogether (class or instance). */
  roomAuthorizer?: Type<RoomAuthorizer> | RoomAuthorizer;
  /**
   * Rooms where clients only listen: a `signal` into one is refused with
   * `forbidden` unless `signals.canSignal` allows it. `global` always is one.
   * Exact names, or a prefix ending in `*`.
   * @example ['announcements', 'status:*']
   */
  receiveOnlyRooms?: string[];
  /**
   * Origins allowed to connect from a browser (CORS for long-polling, and the
   * `Origin` header of WebSocket upgrades). `'*'` allows any. Clients that send
   * no `Origin` (servers, native apps) are always let through.
   * @default [] (no browser origin but the page's own: same-origin requests carry no CORS)
   */
  corsOrigins?: string[] | '*';
  /**
   * Whether browsers on `corsOrigins` may send credentials (cookies, such as a
   * load balancer's sticky-session cookie on long-polling) with their requests.
   * Sockets authenticate with a token, not cookies, either way.
   * @default true
   */
  corsCredentials?: boolean;
  /**
   * Largest message a client may send, in bytes; larger ones close its connection.
   * @default 131072 (128 KB; the seeds say 1 MB: this gateway's client messages are small)
   */
  maxHttpBufferSize?: number;
  /**
   * How often the server pings each connection, in ms (1000 to 600000).
   * @default 25000 (socket.io's and seed 003's)
   */
  pingInterval?: number;
  /**
   * How long the server waits for the pong before it closes the connection, in
   * ms (1000 to 600000): a dead peer is noticed within pingInterval + pingTimeout.
   * @default 20000 (socket.io's; seed 003 says 30000, seed 002 60000)
   */
  pingTimeout?: number;
  /**
   * WebSocket per-message compression (RFC 7692): `true` compresses messages
   * from 1 KB, `{ threshold }` from that many bytes. It trades CPU and memory
   * (a zlib context per connection, about 300 KB with ws' defaults; a
   * deflate per message and socket) for bandwidth, worth it for large
   * repetitive JSON over slow links. Long-polling is compressed separately
   * (socket.io's httpCompression, on by default).
   * @default false
   */
  perMessageDeflate?: boolean | GatewayPerMessageDeflateOptions;
  /**
   * Event patterns whose plain bus events (a `publish()` without
   * `broadcast: true`) every instance emits to all its sockets, in `global`.
   * Events with a target, events sockets published and `system.shutdown` are
   * left out. `[]` for none.
   * @default ['system.**']
   */
  globalEvents?: string[];
  /** Rooms a socket may be in, its own rooms included. @default 50 */
  maxRoomsPerSocket?: number;
  /** Token bucket per socket over every client message. */
  rateLimit?: GatewayRateLimitOptions;
  /**
   * Token bucket per client address over handshakes, checked before the token
   * is verified; refused handshakes fail with `connect_error` "rate_limited".
   * Off unless given: many users behind one NAT or proxy share an address.
   */
  connectionRateLimit?: GatewayConnectionRateLimitOptions;
  /**
   * Event types sockets may publish onto the bus (`publish` { type, data }).
   * Not given: none.
   */
  clientEvents?: GatewayClientEventsOptions;
  /** Ephemeral signals between the members of a room (`signal` { room, kind, data }). */
  signals?: GatewaySignalsOptions;
  /** Heartbeats that let other instances clean up after one that died. */
  presence?: GatewayPresenceOptions;
  /**
   * Transports offered; polling needs sticky sessions behind a load balancer.
   * @default ['websocket', 'polling']
   */
  transports?: Array<'websocket' | 'polling'>;
  /**
   * Socket.io event names for some bus types (exact types), for clients written
   * to another naming: an event of that type reaches sockets, live and replayed,
   * under this name; its payload's `type` stays the bus type. Other types keep
   * their own name.
   * @default {} (every event under its type)
   * @example { 'chat.message.new': 'message:new' }
   */
  socketEventNames?: Record<string, string>;
  /**
   * Options per room name or prefix ending in `*` (the exact name, else the
   * longest prefix, applies): history limits, presence join/leave events, who
   * may send. See `GatewayRoomOptions`.
   * @example { 'chat:*': { presence: true, history: { maxLength: 500 } }, 'news:*': { publish: 'nobody' } }
   */
  rooms?: Record<string, GatewayRoomOptions>;
}

/** @publicApi */
export interface GatewayJwtOptions {
  /** HMAC secret (HS256 …). */
  secret?: string;
  /** PEM public key (RS256, ES256 …). */
  publicKey?: string | Buffer;
  /** @default ['HS256'] with a secret, ['RS256', 'ES256'] with a public key */
  algorithms?: string[];
  issuer?: string;
  audience?: string;
}

/** @publicApi */
export interface GatewayPerMessageDeflateOptions {
  /** Messages smaller than this many bytes are sent uncompressed. @default 1024 */
  threshold?: number;
}

/** @publicApi */
export interface GatewayClientEventsOptions {
  /**
   * Type patterns sockets may publish, each with the permission the token must
   * carry (in `permissions` or `scope`), or null for any signed-in user.
   * @example { 'chat.message': null, 'photo.delete.requested': 'photos:write' }
   */
  allow: Record<string, string | null>;
  /** Replaces the allowlist check (the DTO and size checks still apply). */
  canPublish?: (
    identity: SocketIdentity,
    type: string,
  ) => Promise<boolean> | boolean;
  /** Largest `data` a socket may publish, in bytes (JSON). @default 16384 */
  maxDataBytes?: number;
}

/** @publicApi */
export interface GatewaySignalsOptions {
  /** A `typing` signal not renewed within this many ms is followed by `stopped`. @default 3000 */
  typingTimeoutMs?: number;
  /** Largest signal `data`, in bytes (JSON). @default 1024 */
  maxDataBytes?: number;
  /**
   * Replaces the default signal policy (a socket may signal in any room it is
   * in that is not receive-only). Asked only for rooms the socket is in;
   * anything but `true` refuses with `forbidden`.
   * @example (identity, room, kind) => room !== 'global' || identity.permissions.includes('announce')
   */
  canSignal?: (
    identity: SocketIdentity,
    room: string,
    kind: string,
  ) => Promise<boolean> | boolean;
}

/** @publicApi */
export interface GatewayConnectionRateLimitOptions {
  /** Handshakes one address may make in a burst. @default 20 */
  burst?: number;
  /** Handshakes per second one address gets back. @default 2 */
  perSecond?: number;
  /**
   * Who a handshake counts against; undefined exempts it. Behind a proxy give
   * the client address it forwards (only if the proxy sets it).
   * @default handshake => handshake.address
   * @example handshake => String(handshake.headers['x-forwarded-for'] ?? '').split(',')[0].trim() || handshake.address
   */
  key?: (handshake: SocketHandshake) => string | undefined;
}

/** @publicApi */
export interface GatewayRateLimitOptions {
  /**
   * Messages a socket may send in a burst: enough for a reconnecting client to
   * subscribe again to all its rooms at once.
   * @default maxRoomsPerSocket + 10 (60)
   */
  burst?: number;
  /** Messages per second refilled. @default 10 */
  perSecond?: number;
  /**
   * Refused messages after which the socket is disconnected; the count starts
   * over once the client has kept to its rate for a second. @default 100
   */
  disconnectAfter?: number;
}

/** @publicApi */
export interface GatewayPresenceOptions {
  /** How often an instance renews its heartbeat, in ms. @default 5000 */
  heartbeatMs?: number;
  /** After how long without a heartbeat an instance counts as dead, in ms. @default 15000 */
  ttlMs?: number;
}

/** A member of a room as `getRoomMembers` lists it. @publicApi */
export interface RoomMember {
  socketId: string;
  userId: string;
  clientId: string;
  sessionId?: string;
}

/** @publicApi */
export interface GatewayStats {
  instanceId: string;
  /** Sockets connected to this instance. */
  sockets: number;
  /** Distinct users connected to this instance. */
  users: number;
  /** Distinct devices (user and client id) connected to this instance. */
  connectedClients: number;
  /** Rooms with at least one socket of this instance (not counting socket.io's room of each socket's id). */
  activeRooms: number;
  /** Seconds since this gateway instance started (0 before). */
  uptime: number;
  /** Events this instance emitted to rooms (one per event and room, not per socket). */
  eventsEmitted: number;
  /** Missed events replayed: to recovering sockets, and to rooms after a bus outage. */
  eventsReplayed: number;
  /**
   * Rooms with sockets here whose events during a bus outage could not all be
   * replayed once it was over (the room keeps no history, or it was trimmed
   * past the outage): their sockets may have missed events.
   */
  roomsNotRepaired: number;
  /** Events sockets published onto the bus through this instance. */
  clientEventsPublished: number;
  /** Signals relayed from this instance's sockets. */
  signalsRelayed: number;
  rejected: {
    unauthorized: number;
    rateLimited: number;
    forbidden: number;
    invalid: number;
    disconnectedForAbuse: number;
    /** Handshakes refused by `connectionRateLimit`. */
    connectionsRateLimited: number;
  };
}

/** What `EventBusGatewayService.health()` says. @publicApi */
export interface GatewayHealth {
  healthy: boolean;
  /** Sockets connected to this instance. */
  sockets: number;
  /** Distinct devices (user and client id) connected to this instance. */
  connectedClients: number;
  /** Rooms with at least one socket of this instance (not counting socket.io's room of each socket's id). */
  activeRooms: number;
  /** Seconds since this gateway instance started (0 before). */
  uptime: number;
  /** Why not healthy. */
  reason?: string;
}
