import type { ConnectionState } from './connection-state.js';
import type { ClientAckError, ClientAuthError } from './errors.js';
import type { ReadonlyObservableValue } from './observable-value.js';
import type {
  ClientEvent,
  ConnectionEstablished,
  EventData,
  GatewayAck,
  RoomSignal,
} from './protocol.js';

/**
 * Settings of `connect()`.
 *
 * @publicApi
 */
export interface EventBusClientOptions {
  /** The app's origin (the gateway shares its HTTP port), e.g. `https://app.example.com`. */
  url: string;
  /** A JWT sent as `auth.token`. Use `getToken` instead when tokens expire. */
  token?: string;
  /**
   * Called before every connection attempt (the first, each reconnect, and again
   * after the gateway refused a token as `unauthorized`, so it can refresh it).
   */
  getToken?: () => string | Promise<string>;
  /**
   * This device or tab, sent as `auth.clientId` (a token's `clientId` claim wins).
   * @default a random id per `connect()` call, kept across reconnects
   */
  clientId?: string;
  /** @default ['websocket', 'polling'] (polling only when WebSocket fails) */
  transports?: Array<'websocket' | 'polling'>;
  /** socket.io's reconnection backoff. */
  reconnection?: ReconnectionOptions;
  /**
   * A room whose missed events could not be replayed after a reconnect (the
   * server acked `recovered: false`: its history no longer holds the last event
   * this client saw; or the client had seen no event of that room yet). Events
   * may have been missed: refetch the state the room feeds.
   */
  onRecoveryFailed?: (room: string) => void;
  /**
   * Failures that no promise reports: the final authentication failure after the
   * first connection (`ClientAuthError`), the reconnection attempts running out,
   * a room refused when it is re-joined after a reconnect (`ClientAckError` with `room`).
   */
  onError?: (error: ClientAuthError | ClientAckError | Error) => void;
  /**
   * How long a request (subscribe, publish, signal, request) waits for its ack, in ms.
   * @default 10000
   */
  ackTimeoutMs?: number;
  /**
   * `unauthorized` refusals in a row after which the client gives up (with
   * `getToken`; with a fixed `token` the first refusal is final).
   * @default 3
   */
  maxAuthFailures?: number;
  /** The socket.io path on the server. @default '/socket.io' */
  path?: string;
}

/**
 * socket.io's own reconnection (`reconnectionDelay`, `reconnectionDelayMax`,
 * `randomizationFactor`, `reconnectionAttempts`).
 *
 * @publicApi
 */
export interface ReconnectionOptions {
  /** First delay, doubled on each attempt. @default 500 */
  delayMs?: number;
  /** Longest delay. @default 10000 */
  maxDelayMs?: number;
  /** Jitter: each delay varies by up to this fraction either way. @default 0.5 */
  randomization?: number;
  /** Attempts before giving up (state `disconnected` for good, `onError`). @default Infinity */
  attempts?: number;
}

/**
 * Who the server says this connection is (`connection:established`).
 *
 * @publicApi
 */
export type ConnectionIdentity = ConnectionEstablished;

/** What `subscribe` resolves with. @publicApi */
export interface RoomSubscription {
  readonly room: string;
  /** Stops this handler; the client leaves the room when it was the room's last one. */
  unsubscribe(): Promise<void>;
}

/**
 * A connection to the event bus gateway that keeps its rooms across
 * reconnects and replays the events missed meanwhile.
 *
 * @publicApi
 */
export interface EventBusClient {
  /** `connecting` → `connected`; after a drop `disconnected` → `recovering` → `connected`. */
  readonly state: ReadonlyObservableValue<ConnectionState>;
  /** From the server's `connection:established`; undefined until the first connection. */
  readonly identity: ConnectionIdentity | undefined;
  /**
   * Resolves when the client is connected the first time; rejects with
   * `ClientAuthError` (its `reason`) when the gateway refuses it for good, or an
   * Error when the client is closed or the reconnection attempts run out first.
   */
  ready(): Promise<void>;
  /**
   * Joins `room` and calls `handler` for each of its events. Resolves once the
   * gateway acked; rejects `ClientAckError` (`forbidden`, `invalid`,
   * `too_many_rooms`, …) when it refused. Several handlers may share a room.
   */
  subscribe(
    room: string,
    handler: (event: ClientEvent) => void,
  ): Promise<RoomSubscription>;
  /** `handler` for every event of `type`, whatever its room. Returns the off function. */
  on<K extends string>(
    type: K,
    handler: (event: ClientEvent<EventData<K>>) => void,
  ): () => void;
  /**
   * Puts an event on the bus (if the gateway's `clientEvents` allow the type).
   * Rejects `ClientAckError`: `forbidden`, `invalid`, `too_large`, `rate_limited`, `unavailable`, `timeout` …
   */
  publish<K extends string>(
    type: K,
    data: EventData<K>,
  ): Promise<{ eventId: string }>;
  /**
   * Sends an ephemeral signal to the other members of `room` (the client must
   * have subscribed to it). `typing` lasts ~3 s unless renewed; end it early with
   * `signal(room, 'typing', { stopped: true })`.
   */
  signal(room: string, kind: string, data?: unknown): Promise<void>;
  /** `handler` for the signals other members send. Returns the off function. */
  onSignal(handler: (signal: RoomSignal) => void): () => void;
  /** Any message to the app's own gateway handlers; resolves the ack as it is. */
  request<T = GatewayAck>(message: string, payload?: unknown): Promise<T>;
  /**
   * `handler` for a socket event the app's own gateway handlers emit directly
   * (not a room event: those come through `on` and `subscribe`), e.g. seed 002's
   * `typing:start`. It stays registered across reconnects. Returns the off function.
   */
  onMessage<T = unknown>(
    name: string,
    handler: (payload: T) => void,
  ): () => void;
  /** Disconnects for good. */
  close(): void;
}
