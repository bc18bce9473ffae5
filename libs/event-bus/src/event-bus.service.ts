import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConcurrencyLimiter } from './delivery/concurrency-limiter.js';
import { EventBusMetrics } from './delivery/event-bus-metrics.js';
import { DurableManager } from './durable/durable.manager.js';
import type { DeadLetter, GroupLag } from './durable/stream-store.interface.js';
import { HandlerInvoker } from './delivery/handler-invoker.js';
import type { HandlerRecord } from './delivery/handler-record.js';
import { resolveRetry } from './delivery/retry-policy.js';
import { GapCounter } from './envelope/publisher-sequence.js';
import { EventCodec } from './envelope/event-codec.js';
import { EventPublisher } from './publishing/event-publisher.js';
import { EventBusUnavailableError } from './errors/event-bus-unavailable.error.js';
import { InvalidConfigurationError } from './errors/invalid-configuration.error.js';
import { EVENT_BUS_CONFIG, type EventBusConfig } from './event-bus.config.js';
import { EVENT_BUS_TRANSPORT } from './event-bus.constants.js';
import { EventBusLogger } from './event-bus.logger.js';
import { messages } from './event-bus.messages.js';
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
import { compileFilter } from './matching/event-filter.js';
import { checkHandlerOptions } from './validation/handler-options.util.js';
import { isValidPattern } from './matching/pattern-matcher.js';

/**
 * Publishes events and routes received ones to handlers. Inject it anywhere once
 * `EventBusModule.forRoot()` is imported.
 *
 * @example
 * await this.eventBus.publish('photo.uploaded', { photoId, userId, filename, size, mimeType, uploadedAt });
 *
 * @publicApi
 */
@Injectable()
export class EventBusService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger: EventBusLogger;
  private readonly codec: EventCodec;
  /** pattern → handler id → handler; one transport subscription per pattern. */
  private readonly routes = new Map<string, Map<string, HandlerRecord>>();
  private readonly handlers = new Map<string, HandlerRecord>();
  private readonly durableHandlers = new Set<string>();
  private startedAt = Date.now();
  private closed = false;
  private markStarted!: () => void;
  private readonly started = new Promise<void>(
    resolve => (this.markStarted = resolve),
  );
  /** The last message from the transport, decoded, and the routes it went to (see `decodeOnce`). */
  private lastMessage?: {
    channel: string;
    payload: string;
    envelope: EventEnvelope | undefined;
    routes: Set<string>;
  };
  /** Counts the fan-out events that never reached this process, from jumps in `seq`. */
  private readonly gaps = new GapCounter();

  constructor(
    @Inject(EVENT_BUS_CONFIG) private readonly config: EventBusConfig,
    @Inject(EVENT_BUS_TRANSPORT) private readonly transport: EventTransport,
    private readonly publisher: EventPublisher,
    private readonly invoker: HandlerInvoker,
    private readonly metrics: EventBusMetrics,
    private readonly durable: DurableManager,
  ) {
    // One logger with the publisher: the per-kind rate limits (malformed messages) are shared.
    this.logger = publisher.logger;
    this.codec = new EventCodec(config.limits);
  }

  async onModuleInit(): Promise<void> {
    this.startedAt = Date.now();
    try {
      await this.transport.connect();
      this.logger.log(
        `Connected: transport ${this.transport.kind}, service "${this.config.serviceName}".`,
      );
      await this.durable.start();
    } catch (error) {
      // NOTE: the app still boots; the transport keeps reconnecting and health reports it down.
      this.logger.warn(
        `Transport ${this.transport.kind} is not reachable yet (${(error as Error).message}); retrying in the background. Check REDIS_URL.`,
      );
    } finally {
      this.markStarted();
    }
  }

  /**
   * Resolves once the bus has started (its `onModuleInit` ran), at once if it
   * has. For `EventBusServer`, whose `listen` may run before the app is
   * initialised (`startAllMicroservices()` before `listen()`).
   * @internal
   */
  whenStarted(): Promise<void> {
    return this.started;
  }

  /**
   * Stops taking events, lets running handlers finish (up to `shutdownTimeout`)
   * and closes the transport. Called by Nest on `app.close()` or a shutdown signal
   * when `enableShutdownHooks()` is on.
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.publisher.close();
    const records = [...this.handlers.values()];
    await Promise.allSettled(
      [...this.routes.keys()].map(pattern =>
        this.transport.unsubscribe(pattern),
      ),
    );
    this.invoker.close(records);
    // Durable consumers stop reading and let running handlers finish (ack or dead letter);
    // whatever is left stays pending for the group's other consumers.
    const [fanOutIdle, durableIdle] = await Promise.all([
      this.invoker.drain(records, this.config.shutdownTimeout),
      this.durable.stop(),
    ]);
    const idle = fanOutIdle && durableIdle;
    if (!idle) {
      this.logger.warn(
        `Shutdown: handlers still running after ${this.config.shutdownTimeout} ms (option shutdownTimeout); closing anyway.`,
      );
    }
    this.routes.clear();
    this.handlers.clear();
    await this.transport.close();
    if (idle)
      this.logger.log(
        `Shut down cleanly: ${records.length} handlers drained, transport ${this.transport.kind} closed.`,
      );
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
    return this.addHandler(
      pattern,
      handler as (event: EventEnvelope) => unknown,
      options,
      options.name ?? `subscribe(${pattern})#${id.slice(0, 8)}`,
      id,
    );
  }

  /** Removes a subscription by id; resolves false when there was none. */
  async unsubscribe(subscriptionId: string): Promise<boolean> {
    const record = this.handlers.get(subscriptionId);
    if (!record) return false;
    this.handlers.delete(subscriptionId);
    if (this.durableHandlers.delete(subscriptionId)) {
      await this.durable.unregister(record);
      return true;
    }
    const group = this.routes.get(record.pattern);
    group?.delete(subscriptionId);
    if (group && group.size === 0) {
      this.routes.delete(record.pattern);
      if (!this.closed) await this.transport.unsubscribe(record.pattern);
    }
    return true;
  }

  /** True when every connection of the transport is up. */
  isConnected(): boolean {
    return !this.closed && this.transport.isConnected();
  }

  /** Pings every connection the bus holds. Never throws. */
  async healthCheck(timeoutMs = 1000): Promise<HealthCheckResult> {
    const connections = this.closed
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
      activeSubscriptions: this.handlers.size,
      uptime: Math.round((Date.now() - this.startedAt) / 1000),
      timestamp: new Date().toISOString(),
    };
  }

  /** Dead letters, oldest first (of one stream, the first segment of the type, or all). */
  listDeadLetters(
    options: { stream?: string; count?: number } = {},
  ): Promise<DeadLetter[]> {
    return this.durable.listDeadLetters(options);
  }

  /** Number of dead letters (of one stream, or all). */
  countDeadLetters(stream?: string): Promise<number> {
    return this.durable.countDeadLetters(stream);
  }

  /** One dead letter, with its payload, error, stack, attempts and handler. */
  getDeadLetter(stream: string, id: string): Promise<DeadLetter | undefined> {
    return this.durable.getDeadLetter(stream, id);
  }

  /**
   * Sends a dead letter back to its original group (only that group handles it
   * again) and removes it from the dead letters. Resolves false when not found.
   * Rejects with `DeadLetterNotReplayableError` when it holds no event this bus can read.
   */
  replayDeadLetter(stream: string, id: string): Promise<boolean> {
    return this.durable.replayDeadLetter(stream, id);
  }

  /** Deletes one dead letter. */
  deleteDeadLetter(stream: string, id: string): Promise<boolean> {
    return this.durable.deleteDeadLetter(stream, id);
  }

  /** Deletes every dead letter (of one stream, or all); resolves how many. */
  purgeDeadLetters(stream?: string): Promise<number> {
    return this.durable.purgeDeadLetters(stream);
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
      activeSubscriptions: this.handlers.size,
      errorRate: settled === 0 ? 0 : m.failed / settled,
      messagesPerSecond: m.rate(),
      averageLatency: m.averageLatency(),
      inFlight: m.inFlight,
      uptime: Math.round((Date.now() - this.startedAt) / 1000),
    };
  }

  /**
   * Registers a discovered `@OnEvent` handler. Internal: called by the explorer.
   * @internal
   */
  registerHandler(
    pattern: string,
    call: (event: EventEnvelope) => unknown,
    options: OnEventOptions,
    name: string,
  ): Promise<Subscription> {
    return this.addHandler(
      pattern,
      call,
      options,
      options.name ?? name,
      randomUUID(),
    );
  }

  private async addHandler(
    pattern: string,
    call: (event: EventEnvelope) => unknown,
    options: OnEventOptions,
    name: string,
    id: string,
  ): Promise<Subscription> {
    if (this.closed) throw new EventBusUnavailableError(messages.closed());
    if (!isValidPattern(pattern))
      throw new InvalidConfigurationError(messages.invalidPattern(pattern));
    if (typeof call !== 'function') {
      throw new InvalidConfigurationError(
        `Handler for "${pattern}" is ${typeof call}: pass a function.`,
      );
    }
    checkHandlerOptions(options, name);
    const defaults = this.config.handlerDefaults;
    const record: HandlerRecord = {
      id,
      name,
      pattern,
      call: this.metrics.instrument(call),
      retry: resolveRetry(this.config.retry, options.retry),
      timeout: options.timeout ?? defaults.timeout,
      filter: options.filter ? compileFilter(options.filter) : undefined,
      limiter: new ConcurrencyLimiter(
        Math.max(1, options.concurrency ?? defaults.concurrency),
        options.maxQueued ?? defaults.maxQueued,
      ),
    };
    this.handlers.set(id, record);
    if (options.durable) {
      this.durableHandlers.add(id);
      await this.durable.register(record, options);
      return { id, pattern, unsubscribe: () => this.unsubscribe(id) };
    }
    let group = this.routes.get(pattern);
    const isNewPattern = !group;
    if (!group) this.routes.set(pattern, (group = new Map()));
    group.set(id, record);
    if (isNewPattern) {
      // Types this pattern adds were not heard before: a jump in their numbers is no loss.
      this.gaps.reset();
      await this.transport.subscribe(pattern, (type, payload, channel) =>
        this.onMessage(pattern, type, payload, channel),
      );
    }
    this.logger.debug(`Handler ${name} subscribed to "${pattern}".`);
    return { id, pattern, unsubscribe: () => this.unsubscribe(id) };
  }

  private onMessage(
    pattern: string,
    type: string,
    payload: string,
    channel: string,
  ): void {
    const group = this.routes.get(pattern);
    if (!group || group.size === 0) return;
    const decoded = this.decodeOnce(pattern, type, channel, payload);
    if (decoded === undefined) return;
    for (const record of group.values()) this.invoker.dispatch(record, decoded);
  }

  /**
   * Redis sends one message once per subscription it matches (a SUBSCRIBE and
   * each PSUBSCRIBE): the copies arrive one after the other, each for another
   * route. The first is decoded, counted and, if malformed, reported; the
   * others reuse that. A copy for a route that already had this message is a
   * new message with the same bytes.
   */
  private decodeOnce(
    pattern: string,
    type: string,
    channel: string,
    payload: string,
  ): EventEnvelope | undefined {
    const last = this.lastMessage;
    if (
      last !== undefined &&
      !last.routes.has(pattern) &&
      last.channel === channel &&
      last.payload === payload
    ) {
      last.routes.add(pattern);
      return last.envelope;
    }
    this.metrics.received++;
    const decoded = this.codec.decode(payload);
    let envelope: EventEnvelope | undefined;
    if (decoded.ok && decoded.envelope.type === type) {
      envelope = decoded.envelope;
      const { publisherId, seq } = envelope.metadata;
      const missed = this.gaps.observe(type, publisherId, seq);
      if (missed > 0) this.reportMissed(type, missed, publisherId!, seq!);
    } else {
      // Labelled by the type only when the app has it as an exact pattern: otherwise the channel names what the publisher chose.
      this.metrics.recordMalformed(this.routes.has(type) ? type : undefined);
      this.publisher.reportMalformed(
        `channel "${channel}"`,
        payload,
        decoded.ok
          ? `envelope type "${decoded.envelope.type}" does not match the channel`
          : decoded.reason,
      );
    }
    this.lastMessage = {
      channel,
      payload,
      envelope,
      routes: new Set([pattern]),
    };
    return envelope;
  }

  private reportMissed(
    type: string,
    missed: number,
    publisherId: string,
    seq: number,
  ): void {
    this.metrics.recordMissed(type, missed);
    this.logger.limited(
      'missed events',
      'warn',
      messages.eventsMissed(type, missed, publisherId, seq),
    );
  }
}
