import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EventBusMetrics } from './delivery/event-bus-metrics.js';
import { DurableManager } from './durable/durable.manager.js';
import type { GroupLag } from './durable/stream-store.interface.js';
import { EventPublisher } from './publishing/event-publisher.js';
import { EVENT_BUS_TRANSPORT } from './event-bus.constants.js';
import type { EventEnvelope } from './interfaces/event-envelope.interface.js';
import type { EventData, EventOf } from './interfaces/event-map.interface.js';
import type { OnEventOptions } from './interfaces/on-event-options.interface.js';
import type {
  PublishOptions,
  PublishResult,
  Subscription,
} from './interfaces/publish.interface.js';
import type {
  EventBusStats,
  HealthCheckResult,
} from './interfaces/stats.interface.js';
import type { EventTransport } from './interfaces/transport.interface.js';
import { EventRouter } from './routing/event-router.js';
import type {
  ScheduleInfo,
  ScheduleSpec,
} from './interfaces/scheduling.interface.js';
import { Scheduler } from './scheduling/scheduler.js';

/**
 * Publishes events and subscribes handlers: the bus as an app uses it. Inject
 * it anywhere once `EventBusModule.forRoot()` is imported. Dead letters have
 * their own service, `DeadLetterService`.
 *
 * @example
 * await this.eventBus.publish('photo.uploaded', { photoId, userId, filename, size, mimeType, uploadedAt });
 *
 * @publicApi
 */
@Injectable()
export class EventBusService {
  constructor(
    @Inject(EVENT_BUS_TRANSPORT) private readonly transport: EventTransport,
    private readonly publisher: EventPublisher,
    private readonly router: EventRouter,
    private readonly metrics: EventBusMetrics,
    private readonly durable: DurableManager,
    private readonly scheduler: Scheduler,
  ) {}

  /**
   * Resolves once the bus has started (connected, or given up waiting and
   * retrying in the background), at once if it has. For `EventBusServer`,
   * whose `listen` may run before the app is initialised.
   * @internal
   */
  whenStarted(): Promise<void> {
    return this.router.whenStarted();
  }

  /**
   * Publishes an event to every subscriber of its type.
   *
   * @param type lower-case dot-separated, e.g. `photo.uploaded`
   * @param data JSON-serializable; checked against the type's DTO when one is registered
   * @throws EventValidationError when the event is invalid; EventBusUnavailableError when it could not be sent
   */
  publish<K extends string>(
    type: K,
    data: EventData<K>,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publisher.send(type, data, options, undefined);
  }

  /**
   * Publishes an event meant for the sockets in `room` (through the gateway);
   * bus handlers of the type receive it too, with `metadata.room` set.
   */
  publishToRoom<K extends string>(
    room: string,
    type: K,
    data: EventData<K>,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publisher.send(type, data, options, { room });
  }

  /** Publishes an event meant for every socket of `userId`; sets `metadata.userId`. */
  publishToUser<K extends string>(
    userId: string,
    type: K,
    data: EventData<K>,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publisher.send(type, data, options, { userId });
  }

  /** Publishes an event meant for every connected client; sets `metadata.broadcast`. */
  broadcast<K extends string>(
    type: K,
    data: EventData<K>,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publisher.send(type, data, options, { broadcast: true });
  }

  /**
   * Calls `handler` for every event whose type matches `pattern` (`*` one
   * segment, `**` any number). `@OnEvent` is the declarative form of this.
   *
   * @example
   * const sub = await bus.subscribe('photo.*', event => console.log(event.type));
   * await sub.unsubscribe();
   */
  async subscribe<K extends string>(
    pattern: K,
    handler: (event: EventOf<K>) => unknown,
    options: OnEventOptions = {},
  ): Promise<Subscription> {
    const id = randomUUID();
    return this.router.add(
      pattern,
      handler as (event: EventEnvelope) => unknown,
      options,
      options.name ?? `subscribe(${pattern})#${id.slice(0, 8)}`,
      id,
    );
  }

  /** Removes a subscription by id; resolves false when there was none. */
  unsubscribe(subscriptionId: string): Promise<boolean> {
    return this.router.remove(subscriptionId);
  }

  /** True when every connection of the transport is up. */
  isConnected(): boolean {
    return !this.router.closed && this.transport.isConnected();
  }

  /** Pings every connection the bus holds. Never throws. */
  async healthCheck(timeoutMs = 1000): Promise<HealthCheckResult> {
    const connections = this.router.closed
      ? [
          {
            name: this.transport.kind,
            status: 'down' as const,
            error: 'event bus is shut down',
          },
        ]
      : await this.transport.ping(timeoutMs);
    return {
      status: connections.every(c => c.status === 'up')
        ? 'healthy'
        : 'unhealthy',
      transport: this.transport.kind,
      connections,
      activeSubscriptions: this.router.size,
      uptime: Math.round((Date.now() - this.router.startedAt) / 1000),
      timestamp: new Date().toISOString(),
    };
  }

  /**
   * Publishes `type` with `data` repeatedly: every `every` ms, or at the times
   * of a `cron` expression (in `tz`, UTC by default; needs the optional
   * package `cron-parser`). Stored (in Redis on the redis transport) and fired
   * once per due time by whichever instance holds the scheduling lease. Keyed
   * by `name`: declaring it again as it is keeps its next due time, a change
   * replaces it. A fire missed while no instance ran happens once, late.
   *
   * @example await bus.schedule('reports.daily', { cron: '0 9 * * *', tz: 'Europe/Paris' }, 'report.requested', { kind: 'daily' });
   * @throws InvalidConfigurationError for a bad name or timing; EventValidationError for a bad event
   */
  schedule<K extends string>(
    name: string,
    spec: ScheduleSpec,
    type: K,
    data: EventData<K>,
  ): Promise<ScheduleInfo> {
    return this.scheduler.schedule(name, spec, type, data);
  }

  /** Every schedule, with its next due time, sorted by name. */
  listSchedules(): Promise<ScheduleInfo[]> {
    return this.scheduler.listSchedules();
  }

  /** Removes a schedule; resolves false when there was none. */
  cancelSchedule(name: string): Promise<boolean> {
    return this.scheduler.cancelSchedule(name);
  }

  /** Delayed publishes waiting to come due, across instances. */
  countDelayed(): Promise<number> {
    return this.scheduler.countDelayed();
  }

  /** Pending and not-yet-delivered entries per durable group and stream. */
  getDurableLag(): Promise<GroupLag[]> {
    return this.durable.lag();
  }

  /** Counters since start; the same figures the health and metrics endpoints show. */
  getStats(): EventBusStats {
    const m = this.metrics;
    const settled = m.delivered + m.failed;
    return {
      transport: this.transport.kind,
      connected: this.isConnected(),
      eventsPublished: m.published,
      eventsReceived: m.received,
      eventsDelivered: m.delivered,
      eventsFailed: m.failed,
      eventsRetried: m.retried,
      eventsFiltered: m.filtered,
      eventsSkipped: m.skipped,
      eventsDropped: m.dropped,
      eventsMalformed: m.malformed,
      eventsMissed: m.missed,
      subscriberLosses: this.transport.subscriberLosses ?? 0,
      eventsDeadLettered: m.deadLettered,
      activeSubscriptions: this.router.size,
      errorRate: settled === 0 ? 0 : m.failed / settled,
      messagesPerSecond: m.rate(),
      averageLatency: m.averageLatency(),
      inFlight: m.inFlight,
      uptime: Math.round((Date.now() - this.router.startedAt) / 1000),
      eventsDelayed: m.scheduling.delayed,
      delayedFired: m.scheduling.firedDelayed,
      scheduleFires: m.scheduling.firedSchedules,
    };
  }
}
