import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import {
  compilePattern,
  isValidEventType,
  isValidPattern,
} from '../matching/pattern-matcher.js';
import { isValidRoomName } from '../rooms/room-names.js';
import {
  assertKnownKeys,
  assertTypeOf,
  optionKeys,
  type OptionAliases,
} from '../validation/option-keys.util.js';
import type {
  EventBusGatewayOptions,
  GatewayClientEventsOptions,
  GatewayConnectionRateLimitOptions,
  GatewayJwtOptions,
  GatewayPresenceOptions,
  GatewayRateLimitOptions,
  GatewaySignalsOptions,
} from './interfaces.js';
import type { ResolvedConnectionRateLimit } from './connection-rate-limiter.js';
import { receiveOnlyMatcher } from './room-authorizer.js';
import {
  resolveEngineSettings,
  type EngineSettings,
} from './engine-settings.js';
import { resolveGlobalEvents } from './global-delivery.js';
import { RoomPolicy } from './room-options.js';
import { SERVER_EVENTS } from './gateway.constants.js';

/** Injection token of the resolved gateway configuration (internal). */
export const GATEWAY_CONFIG = 'event-bus:gateway-config';

/** Gateway options with defaults applied and values checked. */
export interface ResolvedGatewayConfig {
  options: EventBusGatewayOptions;
  corsOrigins: string[] | '*';
  maxHttpBufferSize: number;
  maxRoomsPerSocket: number;
  rateLimit: { burst: number; perSecond: number; disconnectAfter: number };
  /** Undefined: handshakes are not limited per address. */
  connectionRateLimit?: ResolvedConnectionRateLimit;
  presence: { heartbeatMs: number; ttlMs: number };
  transports: Array<'websocket' | 'polling'>;
  /** pingInterval, pingTimeout, corsCredentials, perMessageDeflate. */
  engine: EngineSettings;
  /** Patterns of plain events every socket gets (`globalEvents`). */
  globalEvents: string[];
  clientEvents: {
    allow: Array<[match: (type: string) => boolean, permission: string | null]>;
    maxDataBytes: number;
  };
  signals: { typingTimeoutMs: number; maxDataBytes: number };
  /** Whether clients only listen in a room (`global`, `receiveOnlyRooms`). */
  isReceiveOnly: (room: string) => boolean;
  /** The socket.io event name a bus type is emitted under (`socketEventNames`, else the type). */
  socketEventName: (type: string) => string;
  /** The `rooms` option: history, presence and publishing per room name or prefix. */
  rooms: RoomPolicy;
}

function whole(
  name: string,
  value: number,
  min: number,
  max = Number.POSITIVE_INFINITY,
): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = Number.isFinite(max) ? ` and <= ${max}` : '';
    throw new InvalidConfigurationError(
      `Gateway option "${name}" is ${JSON.stringify(value)}: it must be a number >= ${min}${range}.`,
    );
  }
  return value;
}

/**
 * The largest `maxHttpBufferSize` (100 MB, socket.io's own practical limit):
 * a socket may make the server buffer that much before it is closed.
 */
export const MAX_HTTP_BUFFER_SIZE_LIMIT = 100 * 1024 * 1024;

const OWNER = 'EventBusGatewayModule';

const GATEWAY_KEYS = optionKeys<EventBusGatewayOptions>({
  jwt: true,
  authenticator: true,
  authorizeRoom: true,
  roomAuthorizer: true,
  receiveOnlyRooms: true,
  corsOrigins: true,
  maxHttpBufferSize: true,
  maxRoomsPerSocket: true,
  rateLimit: true,
  connectionRateLimit: true,
  clientEvents: true,
  signals: true,
  presence: true,
  transports: true,
  socketEventNames: true,
  corsCredentials: true,
  pingInterval: true,
  pingTimeout: true,
  perMessageDeflate: true,
  globalEvents: true,
  rooms: true,
});
const JWT_KEYS = optionKeys<GatewayJwtOptions>({
  secret: true,
  publicKey: true,
  algorithms: true,
  issuer: true,
  audience: true,
});
const RATE_LIMIT_KEYS = optionKeys<GatewayRateLimitOptions>({
  burst: true,
  perSecond: true,
  disconnectAfter: true,
});
const CONNECTION_RATE_LIMIT_KEYS =
  optionKeys<GatewayConnectionRateLimitOptions>({
    burst: true,
    perSecond: true,
    key: true,
  });
const CLIENT_EVENTS_KEYS = optionKeys<GatewayClientEventsOptions>({
  allow: true,
  canPublish: true,
  maxDataBytes: true,
});
const SIGNALS_KEYS = optionKeys<GatewaySignalsOptions>({
  typingTimeoutMs: true,
  maxDataBytes: true,
  canSignal: true,
});
const PRESENCE_KEYS = optionKeys<GatewayPresenceOptions>({
  heartbeatMs: true,
  ttlMs: true,
});
const NESTED_KEYS = {
  jwt: JWT_KEYS,
  rateLimit: RATE_LIMIT_KEYS,
  connectionRateLimit: CONNECTION_RATE_LIMIT_KEYS,
  clientEvents: CLIENT_EVENTS_KEYS,
  signals: SIGNALS_KEYS,
  presence: PRESENCE_KEYS,
} as const;

const SOCKET_IO_NOTE =
  'is a socket.io server setting, not a gateway option: extend EventBusIoAdapter, set it in createIOServer, and pass the adapter to app.useWebSocketAdapter().';

/** The seeds' socket.io settings (`cors`, `allowedOrigins`, `pingTimeout`…), by full path. */
const GATEWAY_ALIASES: OptionAliases = {
  cors: {
    key: 'corsOrigins',
    note: "Give the origins: corsOrigins: ['https://app.example.com'].",
  },
  allowedOrigins: 'corsOrigins',
  origins: 'corsOrigins',
  ...Object.fromEntries(
    ['connectTimeout', 'path', 'serveClient'].map(key => [
      key,
      { note: `"${key}" ${SOCKET_IO_NOTE}` },
    ]),
  ),
  secret: 'jwt.secret',
  jwtSecret: 'jwt.secret',
  publicKey: 'jwt.publicKey',
  ...Object.fromEntries(
    ['imports', 'inject', 'useFactory', 'useClass', 'useExisting'].map(key => [
      key,
      {
        note: `"${key}" is an option of forRootAsync({ imports, inject, useFactory }), not of the options themselves.`,
      },
    ]),
  ),
  'presence.heartbeatInterval': 'presence.heartbeatMs',
  'presence.ttl': 'presence.ttlMs',
  'rateLimit.max': 'rateLimit.burst',
  'signals.typingTimeout': 'signals.typingTimeoutMs',
};

/**
 * Refuses gateway options the gateway would not read: unknown keys at any
 * level (`clientEvents.allow` maps patterns, so its keys are free) and
 * callbacks that are not functions.
 */
function checkGatewayOptions(options: EventBusGatewayOptions): void {
  assertKnownKeys('', options, GATEWAY_KEYS, GATEWAY_ALIASES, OWNER);
  if (!options) return;
  for (const [key, known] of Object.entries(NESTED_KEYS)) {
    const value = options[key as keyof typeof NESTED_KEYS];
    assertKnownKeys(key, value, known, GATEWAY_ALIASES, OWNER);
  }
  assertTypeOf('authorizeRoom', options.authorizeRoom, 'function', OWNER);
  assertTypeOf(
    'clientEvents.canPublish',
    options.clientEvents?.canPublish,
    'function',
    OWNER,
  );
  assertTypeOf(
    'connectionRateLimit.key',
    options.connectionRateLimit?.key,
    'function',
    OWNER,
  );
  assertTypeOf(
    'signals.canSignal',
    options.signals?.canSignal,
    'function',
    OWNER,
  );
  RoomPolicy.check(options.rooms);
}

/**
 * Names socket.io or the gateway itself emits: a renamed bus type must not pose
 * as one of them. The gateway's come from the protocol, so that a new one
 * (`pong`, `presence:join`) is reserved too.
 */
const RESERVED_SOCKET_EVENTS = new Set<string>([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
  ...Object.values(SERVER_EVENTS),
]);

/**
 * `socketEventNames` as a lookup: exact bus types (no patterns: a rename is
 * part of a client's protocol, so it is spelled out) to names of 1-100
 * characters that are not reserved.
 */
function socketEventNamer(
  names: EventBusGatewayOptions['socketEventNames'],
): (type: string) => string {
  if (names === undefined) return type => type;
  if (typeof names !== 'object' || names === null || Array.isArray(names))
    throw new InvalidConfigurationError(
      `Gateway option "socketEventNames" is ${JSON.stringify(names)}: give an object of event types to socket event names, e.g. { 'chat.message.new': 'message:new' }.`,
    );
  const map = new Map<string, string>();
  for (const [type, name] of Object.entries(names)) {
    if (
      !isValidEventType(type) ||
      typeof name !== 'string' ||
      name.length === 0 ||
      name.length > 100 ||
      RESERVED_SOCKET_EVENTS.has(name)
    )
      throw new InvalidConfigurationError(
        `Gateway option "socketEventNames" has ${JSON.stringify(type)}: ${JSON.stringify(name)}; give an event type (no pattern) and a socket event name of 1-100 characters that is not one of ${[...RESERVED_SOCKET_EVENTS].join(', ')}.`,
      );
    map.set(type, name);
  }
  return type => map.get(type) ?? type;
}

export function resolveGatewayConfig(
  options: EventBusGatewayOptions,
): ResolvedGatewayConfig {
  checkGatewayOptions(options);
  if (!options?.jwt && !options?.authenticator) {
    throw new InvalidConfigurationError(
      'EventBusGatewayModule needs a way to authenticate sockets: give jwt: { secret } (or publicKey) or an authenticator.',
    );
  }
  if (
    options.jwt &&
    !options.jwt.secret &&
    !options.jwt.publicKey &&
    !options.authenticator
  ) {
    throw new InvalidConfigurationError(
      'Gateway option "jwt" needs a secret (HS256) or a publicKey (RS256/ES256).',
    );
  }
  const corsOrigins = options.corsOrigins ?? [];
  if (
    corsOrigins !== '*' &&
    (!Array.isArray(corsOrigins) ||
      !corsOrigins.every(o => typeof o === 'string'))
  ) {
    throw new InvalidConfigurationError(
      `Gateway option "corsOrigins" is ${JSON.stringify(corsOrigins)}: give '*' or a list of origins, e.g. ['https://app.example.com'].`,
    );
  }
  const transports = options.transports ?? ['websocket', 'polling'];
  if (
    transports.length === 0 ||
    transports.some(t => t !== 'websocket' && t !== 'polling')
  ) {
    throw new InvalidConfigurationError(
      `Gateway option "transports" is ${JSON.stringify(transports)}: use 'websocket' and/or 'polling'.`,
    );
  }
  const rate = options.rateLimit ?? {};
  const maxRoomsPerSocket = whole(
    'maxRoomsPerSocket',
    options.maxRoomsPerSocket ?? 50,
    4,
  );
  const presence = options.presence ?? {};
  const heartbeatMs = whole(
    'presence.heartbeatMs',
    presence.heartbeatMs ?? 5000,
    50,
  );
  const ttlMs = whole('presence.ttlMs', presence.ttlMs ?? 15_000, 100);
  if (ttlMs <= heartbeatMs) {
    throw new InvalidConfigurationError(
      `Gateway option "presence.ttlMs" (${ttlMs}) must be longer than "presence.heartbeatMs" (${heartbeatMs}); three heartbeats per TTL is a good ratio.`,
    );
  }
  const allow = Object.entries(options.clientEvents?.allow ?? {}).map(
    ([pattern, permission]) => {
      if (
        !isValidPattern(pattern) ||
        (permission !== null && typeof permission !== 'string')
      ) {
        throw new InvalidConfigurationError(
          `Gateway option "clientEvents.allow" has ${JSON.stringify(pattern)}: ${JSON.stringify(permission)}; give event patterns with a permission or null, e.g. { 'chat.message': null }.`,
        );
      }
      return [compilePattern(pattern), permission] as [
        (type: string) => boolean,
        string | null,
      ];
    },
  );
  const receiveOnly = options.receiveOnlyRooms ?? [];
  if (
    !Array.isArray(receiveOnly) ||
    !receiveOnly.every(
      room =>
        typeof room === 'string' &&
        isValidRoomName(room.endsWith('*') ? `${room.slice(0, -1)}x` : room),
    )
  ) {
    throw new InvalidConfigurationError(
      `Gateway option "receiveOnlyRooms" is ${JSON.stringify(receiveOnly)}: give room names or prefixes ending in "*", e.g. ['announcements', 'status:*'].`,
    );
  }
  return {
    options,
    isReceiveOnly: receiveOnlyMatcher(receiveOnly),
    socketEventName: socketEventNamer(options.socketEventNames),
    rooms: new RoomPolicy(options.rooms),
    clientEvents: {
      allow,
      maxDataBytes: whole(
        'clientEvents.maxDataBytes',
        options.clientEvents?.maxDataBytes ?? 16 * 1024,
        2,
      ),
    },
    signals: {
      typingTimeoutMs: whole(
        'signals.typingTimeoutMs',
        options.signals?.typingTimeoutMs ?? 3000,
        100,
      ),
      maxDataBytes: whole(
        'signals.maxDataBytes',
        options.signals?.maxDataBytes ?? 1024,
        2,
      ),
    },
    corsOrigins,
    maxHttpBufferSize: whole(
      'maxHttpBufferSize',
      options.maxHttpBufferSize ?? 128 * 1024,
      1024,
      MAX_HTTP_BUFFER_SIZE_LIMIT,
    ),
    maxRoomsPerSocket,
    rateLimit: {
      // A client that reconnects subscribes again to every room it was in, at once.
      burst: whole('rateLimit.burst', rate.burst ?? maxRoomsPerSocket + 10, 1),
      perSecond: whole('rateLimit.perSecond', rate.perSecond ?? 10, 0.001),
      disconnectAfter: whole(
        'rateLimit.disconnectAfter',
        rate.disconnectAfter ?? 100,
        1,
      ),
    },
    connectionRateLimit: resolveConnectionRateLimit(
      options.connectionRateLimit,
    ),
    presence: { heartbeatMs, ttlMs },
    transports,
    engine: resolveEngineSettings(options),
    globalEvents: resolveGlobalEvents(options.globalEvents),
  };
}

function resolveConnectionRateLimit(
  options: GatewayConnectionRateLimitOptions | undefined,
): ResolvedConnectionRateLimit | undefined {
  if (options === undefined) return undefined;
  return {
    burst: whole('connectionRateLimit.burst', options.burst ?? 20, 1),
    perSecond: whole(
      'connectionRateLimit.perSecond',
      options.perSecond ?? 2,
      0.001,
    ),
    key: options.key ?? (handshake => handshake.address),
  };
}
