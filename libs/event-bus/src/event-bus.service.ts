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
import { GapCounter, PublisherSequence } from './envelope/publisher-sequence.js';
import { EventCodec } from './envelope/event-codec.js';
import { createEventId, createTraceId } from './envelope/event-id.util.js';
import { currentTrace } from './envelope/trace-context.js';
import { EventBusError } from './errors/event-bus.error.js';
import { EventBusUnavailableError } from './errors/event-bus-unavailable.error.js';
import { InvalidConfigurationError } from './errors/invalid-configuration.error.js';
import { EVENT_BUS_CONFIG, type EventBusConfig } from './event-bus.config.js';
import {
  ENVELOPE_VERSION,
  EVENT_BUS_TRANSPORT,
} from './event-bus.constants.js';
import { EventBusLogger } from './event-bus.logger.js';
import { messages } from './event-bus.messages.js';
import type {
  EventEnvelope,
  EventMetadata,
} from './interfaces/event-envelope.interface.js';
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
import {
  isValidEventType,
  isValidPattern,
} from './matching/pattern-matcher.js';
import { EventValidator } from './validation/event-validator.service.js';
import type { RoomHistoryStore } from './rooms/room-history.interface.js';
import { targetRoom } from './rooms/room-names.js';

type Target = Pick<EventMetadata, 'room' | 'userId' | 'broadcast'>;
/** A room's missed events, decoded: what `replayRoom` answers. */
export interface RoomEvents {
  /** False when `lastEventId` is no longer kept (too old, trimmed, or never seen). */
  recovered: boolean;
  /** The sound events after it, oldest first; unreadable entries are left out and counted as malformed. */
  events: EventEnvelope[];
}
/** Who published an event through the gateway. */
type Origin = Pick<EventMetadata, 'userId' | 'clientId' | 'sessionId'>;

/** `metadata.source` of events that sockets publish through the gateway. */
export const GATEWAY_SOURCE = 'gateway';


let isoMs = -1;
let isoText = '';

function hasMetadataOptions(options: PublishOptions): boolean {
  return (
    options.traceId !== undefined ||
    options.correlationId !== undefined ||
    options.causationId !== undefined ||
    options.idempotencyKey !== undefined
  );
}

/** `new Date().toISOString()`, made once per millisecond: a burst of publishes shares the string. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
}

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
  private history?: RoomHistoryStore;
  private markStarted!: () => void;
  private readonly started = new Promise<void>(resolve => (this.markStarted = resolve));
  /** The last message from the transport, decoded, and the routes it went to (see `decodeOnce`). */
  private lastMessage?: { channel: string; payload: string; envelope: EventEnvelope | undefined; routes: Set<string> };
  /** `{"source":"<serviceName>","timestamp":"` as JSON, for sendPlain. */
  private readonly metadataHead: string;
  /** Numbers this bus' events per type (`metadata.publisherId`, `metadata.seq`). */
  private readonly sequence = new PublisherSequence();
  /** Counts the fan-out events that never reached this process, from jumps in `seq`. */
  private readonly gaps = new GapCounter();

  constructor(
    @Inject(EVENT_BUS_CONFIG) private readonly config: EventBusConfig,
    @Inject(EVENT_BUS_TRANSPORT) private readonly transport: EventTransport,
    private readonly validator: EventValidator,
    private readonly invoker: HandlerInvoker,
    private readonly metrics: EventBusMetrics,
    private readonly durable: DurableManager,
  ) {
    this.logger = new EventBusLogger('EventBus', config.logLevel);
    this.codec = new EventCodec(config.limits);
    this.metadataHead = `{"source":${JSON.stringify(config.serviceName)},"timestamp":"`;
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
    return this.send(type, data, options, undefined);
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
    return this.send(type, data, options, { room });
  }

  /** Publishes an event meant for every socket of `userId`; sets `metadata.userId`. */
  publishToUser<K extends string>(
    userId: string,
    type: K,
    data: EventData<K>,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.send(type, data, options, { userId });
  }

  /** Publishes an event meant for every connected client; sets `metadata.broadcast`. */
  broadcast<K extends string>(
    type: K,
    data: EventData<K>,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.send(type, data, options, { broadcast: true });
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

  /**
   * Publishes an event a socket sent through the gateway: `source` is
   * `gateway` and `userId`, `clientId`, `sessionId` name the sender.
   * @internal
   */
  publishFromClient(
    type: string,
    data: unknown,
    origin: Origin,
  ): Promise<PublishResult> {
    return this.send(type, data, undefined, undefined, origin);
  }

  private send(
    type: string,
    data: unknown,
    options: PublishOptions | undefined,
    target: Target | undefined,
    origin?: Origin,
  ): Promise<PublishResult> {
    // NOTE: not async: the fast path hands back the transport's promise with one `then`.
    if (
      (options === undefined || !hasMetadataOptions(options)) &&
      target === undefined &&
      origin === undefined &&
      !this.closed &&
      isValidEventType(type) &&
      !this.validator.hasSchema(type) &&
      currentTrace() === undefined
    ) {
      try {
        return this.sendPlain(type, data);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.sendFull(type, data, options, target, origin);
  }

  private async sendFull(
    type: string,
    data: unknown,
    options: PublishOptions = {},
    target: Target | undefined,
    origin?: Origin,
  ): Promise<PublishResult> {
    if (this.closed) throw new EventBusUnavailableError(messages.closed());
    this.validator.validateType(type);
    const trace = currentTrace();
    const traceId = options.traceId ?? trace?.traceId ?? createTraceId();
    const causationId = options.causationId ?? trace?.eventId;
    const metadata: EventMetadata = {
      source: origin ? GATEWAY_SOURCE : this.config.serviceName,
      timestamp: isoNow(),
      traceId,
      correlationId: options.correlationId ?? trace?.correlationId ?? traceId,
      ...(causationId ? { causationId } : {}),
      ...(options.idempotencyKey
        ? { idempotencyKey: options.idempotencyKey }
        : {}),
      ...target,
      ...origin,
    };
    // The bus made source, timestamp and fresh ids itself: only what came from outside
    // (options, the handled event's trace, a target or a sender) needs checking.
    if (
      trace !== undefined ||
      target !== undefined ||
      origin !== undefined ||
      hasMetadataOptions(options)
    ) {
      this.validator.validateMetadataFields(metadata);
    }
    if (this.validator.hasSchema(type))
      await this.validator.validateData(type, data);
    const envelope: EventEnvelope = {
      id: createEventId(),
      type,
      data,
      metadata,
      version: ENVELOPE_VERSION,
    };
    // Numbered last, after every check that can refuse the event, and given back if the buffer refuses it.
    metadata.publisherId = this.sequence.id;
    const seq = (metadata.seq = this.sequence.take(type));
    let payload: string;
    let release: (() => void) | undefined;
    try {
      payload = this.codec.encode(envelope);
      // Throws when the outage buffer is full: then none of the publish's commands was sent.
      release = this.transport.admit?.(payload);
    } catch (error) {
      this.sequence.giveBack(type, seq);
      throw error;
    }
    const room =
      target && this.config.roomHistory.enabled
        ? targetRoom(metadata)
        : undefined;
    const durable = this.durable.wants(type);
    try {
      if (room !== undefined || durable) {
        // All in one tick, so ioredis pipelines XADD and PUBLISH into one round trip,
        // the stores' commands first: a subscriber that hears the event finds it stored.
        const writes: Promise<unknown>[] = [];
        if (room !== undefined)
          writes.push(this.roomHistory().append(room, envelope.id, payload));
        if (durable) writes.push(this.durable.append(type, payload));
        writes.push(this.transport.publish(type, payload));
        if (release) void Promise.allSettled(writes).then(release);
        await Promise.all(writes);
      } else {
        const sent = this.transport.publish(type, payload);
        if (release) void sent.then(release, release);
        await sent;
      }
    } catch (error) {
      if (error instanceof EventBusError) throw error;
      throw new EventBusUnavailableError(
        messages.publishFailed(type, (error as Error).message),
      );
    }
    this.metrics.recordPublished(type);
    return {
      success: true,
      eventId: envelope.id,
      type,
      traceId,
      timestamp: metadata.timestamp,
    };
  }

  /**
   * `send` for the common case (no options, no trace to continue, no target, no
   * DTO): the metadata is the bus' own, so it is written as JSON from a template
   * instead of built as an object, checked and stringified. Same bytes on the wire.
   */
  private sendPlain(type: string, data: unknown): Promise<PublishResult> {
    const traceId = createTraceId();
    const timestamp = isoNow();
    const id = createEventId();
    const seq = this.sequence.take(type);
    const metadataJson = `${this.metadataHead}${timestamp}","traceId":"${traceId}","correlationId":"${traceId}","publisherId":"${this.sequence.id}","seq":${seq}}`;
    let payload: string;
    let release: (() => void) | undefined;
    try {
      payload = this.codec.encodeParts(id, type, data, metadataJson, ENVELOPE_VERSION);
      // Throws when the outage buffer is full: then none of the publish's commands was sent.
      release = this.transport.admit?.(payload);
    } catch (error) {
      this.sequence.giveBack(type, seq);
      throw error;
    }
    let sent: Promise<unknown>;
    if (this.durable.wants(type)) {
      const writes = [this.durable.append(type, payload), this.transport.publish(type, payload)];
      if (release) void Promise.allSettled(writes).then(release);
      sent = Promise.all(writes);
    } else {
      sent = this.transport.publish(type, payload);
      if (release) void sent.then(release, release);
    }
    return sent.then(
      () => {
        this.metrics.recordPublished(type);
        return { success: true, eventId: id, type, traceId, timestamp };
      },
      (error: unknown) => {
        if (error instanceof EventBusError) throw error;
        throw new EventBusUnavailableError(
          messages.publishFailed(type, (error as Error).message),
        );
      },
    );
  }

  /**
   * The events published to `room` after `lastEventId`, from the room history.
   * Used by the gateway to recover a reconnecting socket.
   * @internal
   */
  async replayRoom(room: string, lastEventId: string): Promise<RoomEvents> {
    if (!this.config.roomHistory.enabled)
      return { recovered: false, events: [] };
    const { recovered, payloads } = await this.roomHistory().since(
      room,
      lastEventId,
    );
    const events: EventEnvelope[] = [];
    for (const payload of payloads) {
      const decoded = this.codec.decode(payload);
      // An entry the bus did not write for this room (corrupt, foreign, too deep) is skipped and counted.
      if (decoded.ok && targetRoom(decoded.envelope.metadata) === room)
        events.push(decoded.envelope);
      else {
        this.metrics.recordMalformed(undefined);
        this.reportMalformed(
          `the history of room "${room}"`,
          payload,
          decoded.ok ? `the event is not for room "${room}"` : decoded.reason,
        );
      }
    }
    return { recovered, events };
  }

  private roomHistory(): RoomHistoryStore {
    return (this.history ??= this.transport.createRoomHistory(
      this.config.roomHistory,
    ));
  }

  private onMessage(pattern: string, type: string, payload: string, channel: string): void {
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
  private decodeOnce(pattern: string, type: string, channel: string, payload: string): EventEnvelope | undefined {
    const last = this.lastMessage;
    if (last !== undefined && !last.routes.has(pattern) && last.channel === channel && last.payload === payload) {
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
      this.reportMalformed(`channel "${channel}"`, payload, decoded.ok ? `envelope type "${decoded.envelope.type}" does not match the channel` : decoded.reason);
    }
    this.lastMessage = { channel, payload, envelope, routes: new Set([pattern]) };
    return envelope;
  }

  private reportMissed(type: string, missed: number, publisherId: string, seq: number): void {
    this.metrics.recordMissed(type, missed);
    this.logger.limited('missed events', 'warn', messages.eventsMissed(type, missed, publisherId, seq));
  }

  /** `where`: e.g. `channel "eventbus:photo.uploaded"`. */
  private reportMalformed(where: string, payload: unknown, reason: string): void {
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : 0;
    this.logger.limited('malformed message', 'warn', `Dropped a malformed message on ${where} (${size} bytes): ${reason}. Is a foreign client writing to the bus' keys or channels?`);
  }

}
