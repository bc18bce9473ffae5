import type { Observable } from 'rxjs';
import type { ResolvedDurableOptions } from '../event-bus.config.js';
import type { StreamStore } from '../durable/stream-store.interface.js';
import type {
  ResolvedRoomHistoryOptions,
  RoomHistoryStore,
} from '../rooms/room-history.interface.js';
import type { ConnectionHealth } from './stats.interface.js';

/**
 * States a transport reports on `status$`.
 *
 * @publicApi
 */
export type TransportStatus =
  'connecting' | 'ready' | 'reconnecting' | 'disconnected' | 'closed';

/**
 * Called once per message per subscribed pattern that matches its type.
 * `channel` is the wire name (with prefix), for logs.
 */
export type TransportListener = (
  type: string,
  payload: string,
  channel: string,
) => void;

/**
 * What the bus needs from a transport. Implementations route by event type and
 * know nothing of handlers: the service keeps one transport subscription per
 * distinct pattern however many handlers share it.
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
  /** Sends one serialized envelope on the channel of `type`. */
  publish(type: string, payload: string): Promise<unknown>;
  /**
   * Called before a publish sends anything (its PUBLISH and any store writes).
   * A transport that buffers while its server is unreachable bounds that
   * buffer here: it throws `EventBusUnavailableError` when full (nothing is
   * sent then), or returns a function to call once every command of the
   * publish has settled. Undefined: nothing waits.
   */
  admit?(payload: string): (() => void) | undefined;
  /** Starts delivering messages whose type matches `pattern` to `listener`. */
  subscribe(pattern: string, listener: TransportListener): Promise<void>;
  unsubscribe(pattern: string): Promise<void>;
  /** Pings every connection the transport holds. Never throws. */
  ping(timeoutMs: number): Promise<ConnectionHealth[]>;
  /** Reconnections since start. */
  readonly reconnects: number;
  /** Losses of a subscriber connection after it was ready (events published meanwhile were missed). */
  readonly subscriberLosses?: number;
  /** The storage for durable delivery on this transport (called once, after connect). */
  createStreamStore(options: ResolvedDurableOptions): StreamStore;
  /** The per-room event history on this transport (called once, on first use). */
  createRoomHistory(options: ResolvedRoomHistoryOptions): RoomHistoryStore;
}
