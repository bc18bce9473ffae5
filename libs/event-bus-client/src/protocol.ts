/**
 * The wire protocol between the event bus gateway (`@shared-infra/event-bus/gateway`)
 * and its clients: message and event names, ack codes and payload shapes.
 * Both packages take them from here, so they cannot drift apart. This file
 * imports nothing: the server loads it at run time without the client's
 * `socket.io-client`, and browsers without Nest.
 *
 * @packageDocumentation
 */

/**
 * Client → server messages the gateway answers (each with an ack).
 *
 * @publicApi
 */
export const CLIENT_MESSAGES = {
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  ping: 'ping',
  publish: 'publish',
  signal: 'signal',
  history: 'history',
  presence: 'presence',
} as const;

/**
 * Server → client events of the gateway itself (the rest are named after event types).
 *
 * @publicApi
 */
export const SERVER_EVENTS = {
  established: 'connection:established',
  shutdown: 'system.shutdown',
  signal: 'signal',
  /** The answer to `ping` as an event (seed 003), beside its ack. */
  pong: 'pong',
  presenceJoin: 'presence:join',
  presenceLeave: 'presence:leave',
} as const;

/**
 * Every code a gateway refusal (`{ ok: false, code }`) can carry.
 *
 * @publicApi
 */
export const GATEWAY_ACK_CODES = [
  'invalid',
  'forbidden',
  'rate_limited',
  'too_many_rooms',
  'too_large',
  'unavailable',
  'internal',
] as const;

/** @publicApi */
export type GatewayAckCode = (typeof GATEWAY_ACK_CODES)[number];

/**
 * What a client's `subscribe`, `unsubscribe`, `ping`, `publish` and `signal`
 * are answered with.
 *
 * @publicApi
 */
export interface GatewayAck {
  ok: boolean;
  /** On failure: one of `GATEWAY_ACK_CODES`. */
  code?: GatewayAckCode;
  error?: string;
  /** For `subscribe` with `lastEventId`: whether the missed events were replayed. */
  recovered?: boolean;
  /** For `subscribe` with `lastEventId`: how many were. */
  replayed?: number;
  /**
   * For `subscribe` with `lastEventId` into a room the socket was already in:
   * the ids of the room's missed events in their order, including those left
   * out of the replay because they had reached the socket live before. Only
   * present when some were left out; a client that buffers can put them in order.
   */
  replayOrder?: string[];
  /** For `ping`: the server time (ISO-8601). */
  serverTime?: string;
  /** For `publish`: the id of the event that entered the bus. */
  eventId?: string;
  /** For `history`: the page's events, oldest first (`recovered: false` when its `since` / `before` is no longer kept). */
  events?: ClientEvent[];
  /** For `history`: more events are kept beyond the page (after it with `since`, before it otherwise). */
  hasMore?: boolean;
  /** For `presence`: who is in the room, on every instance. */
  presence?: RoomPresenceCounts;
}

/**
 * How many are in a room across every instance (`presence` ack, `getRoomPresence`).
 *
 * @publicApi
 */
export interface RoomPresenceCounts {
  sockets: number;
  /** Distinct users: one with two tabs counts once. */
  users: number;
}

/**
 * `presence:join` (a user's first socket joined the room, on any instance) and
 * `presence:leave` (their last one left), to the room's members, in rooms with
 * `presence: true`.
 *
 * @publicApi
 */
export interface RoomPresenceEvent {
  room: string;
  /** The user only: client and session ids are not shown to other users. */
  user: { userId: string };
  at: string;
}

/**
 * An event as a socket receives it, under the event's type as the socket.io event name.
 *
 * @publicApi
 */
export interface ClientEvent<TData = unknown> {
  id: string;
  type: string;
  data: TData;
  /** When it was published (ISO-8601). */
  timestamp: string;
  /** The room it was sent to: give its `id` back as `lastEventId` to recover. */
  room: string;
}

/**
 * Who the server says a connection is (`connection:established`, right after the handshake).
 *
 * @publicApi
 */
export interface ConnectionEstablished {
  socketId: string;
  userId: string;
  clientId: string;
  sessionId?: string;
  /** The rooms the socket was put in on connect: `user:<userId>`, `client:<userId>:<clientId>`, `session:<userId>:<sessionId>`, `global`. */
  rooms: string[];
  /** The gateway instance the socket is connected to. */
  instanceId: string;
  serverTime: string;
  /** The same instant as `serverTime`, under seed 003's name. */
  timestamp: string;
}

/** What the server emits as `pong` when a socket sends `ping` (the ack answers too). @publicApi */
export interface PongPayload {
  /** The server time (ISO-8601). */
  timestamp: string;
}

/**
 * What an instance tells its sockets before it stops (`system.shutdown`).
 *
 * @publicApi
 */
export interface ShutdownNotice {
  message: string;
  instanceId: string;
  timestamp: string;
}

/**
 * A signal as the other members of a room receive it (socket.io event `signal`).
 *
 * @publicApi
 */
export interface RoomSignal<TData = unknown> {
  room: string;
  kind: string;
  /** For `typing`: `started`, then `stopped` when it expires, is stopped, or the sender leaves. */
  state?: 'started' | 'stopped';
  data?: TData;
  /** The sender's user, nothing more: client and session ids are not shown to other users. */
  from: { userId: string };
  /** When the server relayed it (ISO-8601). */
  at: string;
}

/** Payload of `subscribe`. @publicApi */
export interface SubscribePayload {
  /** 1-128 characters of letters, digits and `_ - . : @`. */
  room: string;
  /** The id of the last event seen in the room: the ones after it are replayed first. */
  lastEventId?: string;
}

/** Payload of `unsubscribe`. @publicApi */
export interface UnsubscribePayload {
  room: string;
}

/** Payload of `publish`. @publicApi */
export interface PublishPayload {
  /** Lower-case dot-separated segments, e.g. `chat.message`. */
  type: string;
  data?: unknown;
}

/** Payload of `history`: a page of a room the socket is in or may join. @publicApi */
export interface HistoryPayload {
  room: string;
  /** An event id: the events after it (exclusive). */
  since?: string;
  /** An event id: the events right before it (exclusive). Not with `since`. */
  before?: string;
  /** 1-500. @default 50 */
  limit?: number;
}

/** Payload of `presence`: counts of a room with `presence: true` the socket is in or may join. @publicApi */
export interface PresencePayload {
  room: string;
}

/** Payload of `signal`. @publicApi */
export interface SignalPayload {
  room: string;
  /** 1-32 lower-case letters, digits and `_ . -`, e.g. `typing` or `read`. */
  kind: string;
  data?: unknown;
}

/**
 * Event types and their data. Augment it to type-check your own events, under
 * either package name (`@shared-infra/event-bus` re-exports this interface):
 *
 * @example
 * declare module '@shared-infra/event-bus-client' {
 *   interface EventMap {
 *     'order.created': { orderId: string; total: number };
 *   }
 * }
 *
 * @publicApi
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- apps add their types by declaration merging
export interface EventMap {}

/**
 * Data type of an event type: the `EventMap` entry when there is one, otherwise
 * `unknown` (so unlisted types and wildcard patterns still work).
 *
 * @publicApi
 */
export type EventData<K extends string> = K extends keyof EventMap
  ? EventMap[K]
  : unknown;
