import { BehaviorSubject } from 'rxjs';
import { MemoryStreamStore } from '../durable/memory-stream.store.js';
import type { StreamStore } from '../durable/stream-store.interface.js';
import type { ResolvedDurableOptions } from '../event-bus.config.js';
import { EventBusUnavailableError } from '../errors/event-bus-unavailable.error.js';
import { messages } from '../event-bus.messages.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import type { ConnectionHealth } from '../interfaces/stats.interface.js';
import type {
  EventTransport,
  TransportSink,
  TransportStatus,
} from '../interfaces/transport.interface.js';
import { RouteTable } from '../matching/route-table.js';
import { MemoryRoomHistory } from '../rooms/memory-room-history.js';
import { MemoryScheduleStore } from '../scheduling/memory-schedule.store.js';
import type { ScheduleStore } from '../scheduling/schedule-store.interface.js';
import type {
  ResolvedRoomHistoryOptions,
  RoomHistoryStore,
} from '../rooms/room-history.interface.js';

interface Pending {
  route: string;
  payload: string | EventEnvelope;
  resolve: (value: unknown) => void;
  value: unknown;
}

/**
 * In-process transport with the semantics of the Redis one: messages are
 * delivered asynchronously and in publish order, once however many subscribed
 * patterns match. The publisher's plain events travel as objects
 * (`publishEnvelope`: checked as if serialized, with data copied, never
 * serialized); the others (room-targeted, durable) as text, as on Redis. Each instance is its own broker, so two apps in one test
 * process do not hear each other.
 *
 * @publicApi
 */
export class MemoryTransport implements EventTransport {
  readonly kind = 'memory' as const;
  readonly reconnects = 0;
  private readonly status = new BehaviorSubject<TransportStatus>(
    'disconnected',
  );
  readonly status$ = this.status.asObservable();
  /** Subscribed patterns and `#` routes (no wildcard matches a `#` route, as on Redis). */
  private readonly patterns = new RouteTable<true>();
  private sink: TransportSink = () => undefined;
  private queue: Pending[] = [];
  private flushScheduled = false;

  async connect(): Promise<void> {
    this.status.next('ready');
  }

  async close(): Promise<void> {
    this.flush();
    this.patterns.clear();
    this.status.next('closed');
    this.status.complete();
  }

  isConnected(): boolean {
    return this.status.value === 'ready';
  }

  /** Resolves once the message has been handed to the sink (when a subscription matches). */
  publish(route: string, payload: string): Promise<void> {
    return this.enqueue(route, payload, undefined);
  }

  /** `publish` of an envelope object; resolves with `value`. */
  publishEnvelope<T>(
    route: string,
    envelope: EventEnvelope,
    value: T,
  ): Promise<T> {
    return this.enqueue(route, envelope, value);
  }

  private enqueue<T>(
    route: string,
    payload: string | EventEnvelope,
    value: T,
  ): Promise<T> {
    if (this.status.value === 'closed') {
      return Promise.reject(new EventBusUnavailableError(messages.closed()));
    }
    return new Promise<T>(resolve => {
      this.queue.push({
        route,
        payload,
        resolve: resolve as (value: unknown) => void,
        value,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  setSink(sink: TransportSink): void {
    this.sink = sink;
  }

  async subscribe(pattern: string): Promise<void> {
    this.patterns.add(pattern, pattern, true);
  }

  async unsubscribe(pattern: string): Promise<void> {
    this.patterns.remove(pattern, pattern);
  }

  createScheduleStore(
    _options: ResolvedDurableOptions,
    streams: StreamStore,
  ): ScheduleStore {
    return new MemoryScheduleStore(
      (type, payload) => this.publish(type, payload),
      (segment, payload) => streams.append(segment, payload),
    );
  }

  createStreamStore(options: ResolvedDurableOptions): StreamStore {
    return new MemoryStreamStore(options.trim, options.deadLetterMaxLength);
  }

  createRoomHistory(options: ResolvedRoomHistoryOptions): RoomHistoryStore {
    return new MemoryRoomHistory(options);
  }

  async ping(): Promise<ConnectionHealth[]> {
    const up = this.isConnected();
    return [
      {
        name: 'memory',
        status: up ? 'up' : 'down',
        latencyMs: 0,
        ...(up ? {} : { error: this.status.value }),
      },
    ];
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const { route, payload, resolve, value } of batch) {
      if (this.patterns.match(route).length > 0)
        this.sink(route, payload, route);
      resolve(value);
    }
  }
}
