import {
  escapeRedisGlob,
  toRedisGlob,
} from '../../matching/pattern-matcher.js';

const HASH = '#'.charCodeAt(0);

/**
 * Every Redis name the bus uses comes from here, so that a prefix change or a
 * cluster hash tag is made in one place.
 */
export const redisKeys = {
  /**
   * Pub/sub channel of a route: an event type's under the prefix; a `#` route's
   * (`#gateway`) beside it, outside the event namespace like the control
   * channels, so that no `**` subscription hears it.
   */
  channel: (prefix: string, route: string): string =>
    route.charCodeAt(0) === HASH
      ? prefix.replace(/:$/, '') + route
      : prefix + route,
  /** PSUBSCRIBE glob of a wildcard pattern (a superset; matched exactly afterwards). */
  glob: (prefix: string, pattern: string): string =>
    escapeRedisGlob(prefix) + toRedisGlob(pattern),
  /**
   * Event type of a channel, or undefined when the channel is not an event's:
   * not under the prefix, or in the `#` namespace of the control and socket.io
   * channels (which a prefix without a trailing `:` would put under it).
   */
  typeOf: (prefix: string, channel: string): string | undefined =>
    channel.startsWith(prefix) && channel.charCodeAt(prefix.length) !== HASH
      ? channel.slice(prefix.length)
      : undefined,
  /** Route of a channel: its event type, or its `#` route; undefined when neither. */
  routeOf: (prefix: string, channel: string): string | undefined => {
    const type = redisKeys.typeOf(prefix, channel);
    if (type !== undefined) return type;
    const base = prefix.replace(/:$/, '');
    return channel.startsWith(base) && channel.charCodeAt(base.length) === HASH
      ? channel.slice(base.length)
      : undefined;
  },
};

/** Control channel on which a bus announces new fan-out subscriptions (outside the event namespace, like the durable one). */
export const fanOutControlChannel = (prefix: string): string =>
  redisKeys.channel(prefix, '#fanout');

/**
 * Durable delivery keys. Each stream and everything tied to it (dead letters,
 * idempotency marks) share one hash tag, `{<segment>}`, so that on Redis Cluster
 * they sit in one slot and can be changed together in MULTI.
 */
export const durableKeys = {
  /** Stream of every durable event whose type starts with `segment`. */
  stream: (prefix: string, segment: string): string =>
    `${prefix}{${segment}}:stream`,
  /** Dead letters of that stream. */
  dead: (prefix: string, segment: string): string =>
    `${prefix}{${segment}}:dead`,
  /** Idempotency mark of one event for one group. */
  done: (prefix: string, segment: string, group: string, key: string): string =>
    `${prefix}{${segment}}:done:${group}:${key}`,
  /** Hash: durable pattern → registration time. */
  patterns: (prefix: string): string => `${prefix}durable:patterns`,
  /** Hash: durable group → first registration time (where a new group starts). */
  groups: (prefix: string): string => `${prefix}durable:groups`,
  /** Set of stream segments that have received durable events. */
  streams: (prefix: string): string => `${prefix}durable:streams`,
  /**
   * Control channel announcing new durable patterns. It does not start with the
   * prefix, so an app's `**` subscription never sees it.
   */
  control: (prefix: string): string => redisKeys.channel(prefix, '#durable'),
};

/** Room history: one capped stream per room. */
export const roomHistoryKey = (prefix: string, room: string): string =>
  `${prefix}room:${room}:history`;

/** The gateway's presence records, shared by its instances. */
export const presenceKeys = {
  /** Sorted set: instance id → last heartbeat. */
  instances: (prefix: string): string => `${prefix}gw:instances`,
  /** Hash of one user's sessions (socket → instance and identity). */
  userSessions: (prefix: string, userId: string): string =>
    `${prefix}gw:user:${userId}:sessions`,
  /** Set of the users with sockets on one instance. */
  instanceUsers: (prefix: string, instanceId: string): string =>
    `${prefix}gw:instance:${instanceId}:users`,
  /** Hash: user → when their last socket went away. */
  lastSeen: (prefix: string): string => `${prefix}gw:lastseen`,
  /** Hash of one room's sockets (`<instance>/<socket>` → user id), for rooms with presence. */
  roomSockets: (prefix: string, room: string): string =>
    `${prefix}gw:room:${room}:sockets`,
  /** Hash of one room's users (user id → their sockets in it), for rooms with presence. */
  roomUsers: (prefix: string, room: string): string =>
    `${prefix}gw:room:${room}:users`,
  /** Set of the presence rooms with sockets on one instance. */
  instanceRooms: (prefix: string, instanceId: string): string =>
    `${prefix}gw:instance:${instanceId}:rooms`,
  /** Set of the rooms a user's sockets join on connect (`addUserToRoom` with `persist`). */
  userRooms: (prefix: string, userId: string): string =>
    `${prefix}gw:user:${userId}:rooms`,
};

/**
 * Key of the socket.io Redis adapter's channels: outside the event namespace,
 * like the control channels, so that a `**` subscription never hears them.
 */
export const socketIoAdapterKey = (prefix: string): string =>
  redisKeys.channel(prefix, '#socket.io');

/** Admin dashboard: hash of instance id → that instance's latest report (JSON). */
export const adminKeys = {
  instances: (prefix: string): string => `${prefix}admin:instances`,
};

/**
 * Delayed events and schedules. The per-stream keys carry the stream's hash tag,
 * `{<segment>}`, so that one script moves a due entry into its stream on Redis
 * Cluster too; the index, the list of segments and the lease sit outside them.
 */
export const schedulingKeys = {
  /** Sorted set of a stream's delayed events: `<type>\n<payload>` scored by due ms. */
  delayed: (prefix: string, segment: string): string =>
    `${prefix}{${segment}}:delayed`,
  /** Hash of the schedules whose type is in that stream: name → record (JSON). */
  schedules: (prefix: string, segment: string): string =>
    `${prefix}{${segment}}:schedules`,
  /** Hash: schedule name → its segment (names are unique across segments). */
  index: (prefix: string): string => `${prefix}scheduling:index`,
  /** Set of the segments that have held delayed events or schedules. */
  segments: (prefix: string): string => `${prefix}scheduling:segments`,
  /** The movers' lease: the owner's id, with an expiry. */
  lease: (prefix: string): string => `${prefix}scheduling:lease`,
};
