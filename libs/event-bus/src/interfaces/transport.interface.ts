import type { Observable } from 'rxjs';
import type { ResolvedDurableOptions } from '../event-bus.config.js';
import type { StreamStore } from '../durable/stream-store.interface.js';
import type { ScheduleStore } from '../scheduling/schedule-store.interface.js';
import type {
  ResolvedRoomHistoryOptions,
  RoomHistoryStore,
} from '../rooms/room-history.interface.js';
import type { EventEnvelope } from './event-envelope.interface.js';
import type { ConnectionHealth } from './stats.interface.js';

/**
 * States a transport reports on `status$`.
 *
 * @publicApi
 */
export type TransportStatus =
  'connecting' | 'ready' | 'reconnecting' | 'disconnected' | 'closed';

/**
 * Receives every message once, however many of the transport's subscriptions
 * it matched (each event of a Redis frame as a message of its own). `route` is
 * the event type, or an internal route such as `GATEWAY_ROUTE`; `channel` is
 * the wire name (with prefix), for logs. `payload` is the serialized envelope,
 * or the envelope itself when it was sent with `publishEnvelope` (then the
 * router does not decode or check it). `problem`, when given, says why
 * `payload` could not be taken apart (a malformed frame): it is dropped and
 * counted as malformed without being decoded.
 */
export type TransportSink = (
  route: string,
  payload: string | EventEnvelope,
  channel: string,
  problem?: string,
) => void;

/**
 * What the bus needs from a transport. A transport carries serialized envelopes
 * on routes (event types, and `#` routes such as `GATEWAY_ROUTE`) and knows
 * nothing of handlers: the router (`EventRouter`) keeps the one routing table,
 * subscribes each distinct pattern once and gets every message once through
 * `setSink`. Route names: `GATEWAY_ROUTE` and `isInternalRoute` in
 * `matching/pattern-matcher.ts`.
 *
 * @publicApi
 */
export interface EventTransport {
  readonly kind: 'memory' | 'redis';
  /** Connection state changes, for health and logs. */
  readonly status$: Observable<TransportStatus>;
  connect(): Promise<void>;
  close(): Promise<void>;
  isConnected(): boolean;
  /** Sends one serialized envelope on `route` (an event type or a `#` route). */
  publish(route: string, payload: string): Promise<unknown>;
  /**
   * In-process transports only: sends an envelope as the object itself, in
   * the same order as `publish`'s messages. The publisher has run every check
   * a serialization would and owns the envelope (its data is a copy of the
   * caller's), so nothing is serialized or parsed. Resolves with `value` once
   * the envelope has been handed to the sink (when a subscription matches):
   * the publish's result, without a promise of its own. `admit` is not called
   * for it: a transport with this method buffers nothing.
   */
  publishEnvelope?<T>(
    route: string,
    envelope: EventEnvelope,
    value: T,
  ): Promise<T>;
  /**
   * Called before a publish sends anything (its PUBLISH and any store writes).
   * A transport that buffers while its server is unreachable bounds that
   * buffer here: it throws `EventBusUnavailableError` when full (nothing is
   * sent then), or returns a function to call once every command of the
   * publish has settled. Undefined: nothing waits.
   */
  admit?(payload: string): (() => void) | undefined;
  /** Where every received message goes (set once, before the first subscribe). */
  setSink(sink: TransportSink): void;
  /**
   * Starts receiving the events whose type matches `pattern` (or the messages
   * of one `#` route). Idempotent; the router calls it once per pattern.
   */
  subscribe(pattern: string): Promise<void>;
  unsubscribe(pattern: string): Promise<void>;
  /** Pings every connection the transport holds. Never throws. */
  ping(timeoutMs: number): Promise<ConnectionHealth[]>;
  /** Reconnections since start. */
  readonly reconnects: number;
  /** Losses of a subscriber connection after it was ready (events published meanwhile were missed). */
  readonly subscriberLosses?: number;
  /** The storage for durable delivery on this transport (called once, after connect). */
  createStreamStore(options: ResolvedDurableOptions): StreamStore;
  /**
   * Where delayed events and schedules wait (called once, on first use, after
   * connect); `streams` is the durable store they are moved into. Optional:
   * without it, delayed publishes and schedules are refused.
   */
  createScheduleStore?(
    options: ResolvedDurableOptions,
    streams: StreamStore,
  ): ScheduleStore;
  /** The per-room event history on this transport (called once, on first use). */
  createRoomHistory(options: ResolvedRoomHistoryOptions): RoomHistoryStore;
}
