import { Inject, Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { EventBusMetrics } from '../delivery/event-bus-metrics.js';
import { HandlerInvoker } from '../delivery/handler-invoker.js';
import type { HandlerRecord } from '../delivery/handler-record.js';
import { EventCodec } from '../envelope/event-codec.js';
import { EVENT_BUS_CONFIG, type EventBusConfig } from '../event-bus.config.js';
import { EVENT_BUS_TRANSPORT } from '../event-bus.constants.js';
import { EventBusUnavailableError } from '../errors/event-bus-unavailable.error.js';
import { EventBusLogger } from '../event-bus.logger.js';
import { messages } from '../event-bus.messages.js';
import type { OnEventOptions } from '../interfaces/on-event-options.interface.js';
import type { EventTransport } from '../interfaces/transport.interface.js';
import { RouteTable } from '../matching/route-table.js';
import { DurableConsumer } from './durable-consumer.js';
import type { GroupLag, StreamStore } from './stream-store.interface.js';

const REGISTRY_REFRESH_MS = 5000;

interface DurableRegistration {
  record: HandlerRecord;
  group: string;
  startId: string;
  options: OnEventOptions;
  /** Literal first segment of the pattern, or undefined when it is a wildcard. */
  segment?: string;
  consumers: Map<string, DurableConsumer>;
}

/** First segment of a type: the stream its durable events go to. */
export function streamOf(type: string): string {
  const dot = type.indexOf('.');
  return dot < 0 ? type : type.slice(0, dot);
}

/**
 * Durable delivery: decides which published events go to streams, runs one
 * consumer per durable handler and stream, and serves the dead-letter operations.
 *
 * Routing: a stream per first segment of the event type (`photo.uploaded` →
 * stream `photo`). An event is appended only when some registered durable
 * pattern (a Redis hash shared by every process) matches its type, so fan-out-only
 * events cost nothing extra.
 */
@Injectable()
export class DurableManager {
  private streamStore?: StreamStore;
  private readonly logger: EventBusLogger;
  private readonly codec: EventCodec;
  private readonly registrations: DurableRegistration[] = [];
  /** Every process' durable patterns (the shared registry): the types publishers append. */
  private readonly durablePatterns = new RouteTable<string>();
  private refreshTimer?: NodeJS.Timeout;
  private readonly consumerName: string;
  private closed = false;

  constructor(
    @Inject(EVENT_BUS_CONFIG) private readonly config: EventBusConfig,
    @Inject(EVENT_BUS_TRANSPORT) private readonly transport: EventTransport,
    private readonly invoker: HandlerInvoker,
    private readonly metrics: EventBusMetrics,
  ) {
    this.logger = new EventBusLogger('EventBus:durable', config.logLevel);
    this.codec = new EventCodec(config.limits);
    this.consumerName = `${config.serviceName}@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  }

  /** Loads the shared registry of durable patterns and follows its changes. */
  async start(): Promise<void> {
    this.streamStore = this.transport.createStreamStore(this.config.durable);
    this.streamStore.onPatternsChanged(() => void this.refresh());
    this.refreshTimer = setInterval(
      () => void this.refresh(),
      REGISTRY_REFRESH_MS,
    );
    this.refreshTimer.unref();
    await this.refresh();
  }

  /** The stream store; throws `EventBusUnavailableError` before `start()`. */
  get store(): StreamStore {
    if (!this.streamStore)
      throw new EventBusUnavailableError(messages.durableNotStarted());
    return this.streamStore;
  }

  /** True when some registered durable pattern matches `type` (cached per type). */
  wants(type: string): boolean {
    if (!this.streamStore || this.durablePatterns.size === 0) return false;
    return this.durablePatterns.match(type).length > 0;
  }

  /** Appends the event to its stream; call it when `wants(type)`. */
  append(type: string, payload: string): Promise<unknown> {
    return this.store.append(streamOf(type), payload);
  }

  /** Starts durable delivery for one handler. */
  async register(
    record: HandlerRecord,
    options: OnEventOptions,
  ): Promise<void> {
    const store = this.store;
    const group = options.group ?? `${this.config.serviceName}.${record.name}`;
    const registeredAt = await store.registerPattern(record.pattern, group);
    const first = record.pattern.split('.')[0];
    const registration: DurableRegistration = {
      record,
      group,
      startId: options.startFrom === 'beginning' ? '0' : `${registeredAt}-0`,
      options,
      segment: first.includes('*') ? undefined : first,
      consumers: new Map(),
    };
    this.registrations.push(registration);
    await this.refresh();
    this.logger.log(
      `Durable handler ${record.name} reads ${registration.segment ? `stream "${registration.segment}"` : 'every stream'} as group ${registration.group}.`,
    );
  }

  /** Stops the consumers of one handler (unsubscribe). */
  async unregister(record: HandlerRecord): Promise<void> {
    const index = this.registrations.findIndex(r => r.record === record);
    if (index < 0) return;
    const [registration] = this.registrations.splice(index, 1);
    await Promise.all(
      [...registration.consumers.values()].map(c =>
        c.stop(this.config.shutdownTimeout),
      ),
    );
  }

  /** Stops every consumer, waiting for running handlers up to the shutdown timeout. */
  async stop(): Promise<boolean> {
    this.closed = true;
    clearInterval(this.refreshTimer);
    const consumers = this.registrations.flatMap(r => [
      ...r.consumers.values(),
    ]);
    const results = await Promise.all(
      consumers.map(c => c.stop(this.config.shutdownTimeout)),
    );
    await this.streamStore?.close();
    await Promise.all(consumers.map(c => c.ended().catch(() => undefined)));
    return results.every(Boolean);
  }

  /** Pending and undelivered counts per group and stream. */
  async lag(): Promise<GroupLag[]> {
    const store = this.store;
    const out: GroupLag[] = [];
    for (const registration of this.registrations) {
      for (const stream of registration.consumers.keys())
        out.push(await store.lag(stream, registration.group));
    }
    return out;
  }

  /** Reloads the registry, then makes sure every registration has a consumer per stream it reads. */
  private async refresh(): Promise<void> {
    if (!this.streamStore || this.closed) return;
    try {
      const patterns = await this.store.patterns();
      for (const { record, group } of this.registrations) {
        if (patterns.has(record.pattern)) continue;
        // NOTE: a Redis that restarted without persistence lost the registry; unless each process
        // puts its patterns back, publishers stop appending and durable handlers starve, silently.
        patterns.set(
          record.pattern,
          await this.store.registerPattern(record.pattern, group),
        );
        this.logger.warn(
          `Durable pattern "${record.pattern}" was missing from Redis (restarted without persistence?): registered it again.`,
        );
      }
      this.durablePatterns.clear();
      for (const pattern of patterns.keys())
        this.durablePatterns.add(pattern, pattern, pattern);
      const needsAll = this.registrations.some(r => !r.segment);
      const known = needsAll ? await this.store.streams() : [];
      for (const registration of this.registrations) {
        const streams = registration.segment ? [registration.segment] : known;
        for (const stream of streams)
          await this.ensureConsumer(registration, stream);
      }
    } catch (error) {
      this.logger.debug(
        `Refreshing the durable registry failed: ${(error as Error).message}`,
      );
    }
  }

  private async ensureConsumer(
    registration: DurableRegistration,
    stream: string,
  ): Promise<void> {
    if (registration.consumers.has(stream) || this.closed) return;
    const store = this.store;
    await store.ensureGroup(stream, registration.group, registration.startId);
    if (registration.consumers.has(stream) || this.closed) return;
    const durable = this.config.durable;
    const consumer = new DurableConsumer(
      store,
      stream,
      registration.record,
      {
        group: registration.group,
        consumer: this.consumerName,
        concurrency:
          registration.options.concurrency ??
          this.config.handlerDefaults.concurrency,
        batchSize: durable.batchSize,
        blockMs: durable.blockMs,
        claimIdleMs: registration.options.claimIdleMs ?? durable.claimIdleMs,
        claimIntervalMs: durable.claimIntervalMs,
        maxDeliveries: durable.maxDeliveries,
        idempotencyWindowMs: registration.options.idempotency?.windowMs ?? 0,
        // NOTE: a live consumer blocked in XREADGROUP looks idle for up to blockMs; keep it clear of the bound.
        consumerIdleTimeoutMs: Math.max(
          durable.consumerIdleTimeoutMs,
          2 * durable.blockMs,
        ),
      },
      this.invoker,
      this.codec,
      this.metrics,
      this.logger,
    );
    registration.consumers.set(stream, consumer);
    consumer.start();
  }
}
