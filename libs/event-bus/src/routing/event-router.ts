import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ConcurrencyLimiter } from '../delivery/concurrency-limiter.js';
import { EventBusMetrics } from '../delivery/event-bus-metrics.js';
import { HandlerInvoker } from '../delivery/handler-invoker.js';
import type { HandlerRecord } from '../delivery/handler-record.js';
import { resolveRetry } from '../delivery/retry-policy.js';
import { DurableManager } from '../durable/durable.manager.js';
import { EventCodec } from '../envelope/event-codec.js';
import { cloneJson } from '../envelope/json-copy.js';
import { GapCounter } from '../envelope/publisher-sequence.js';
import { EventBusUnavailableError } from '../errors/event-bus-unavailable.error.js';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { EVENT_BUS_CONFIG, type EventBusConfig } from '../event-bus.config.js';
import { EVENT_BUS_TRANSPORT } from '../event-bus.constants.js';
import type { EventBusLogger } from '../event-bus.logger.js';
import { messages } from '../event-bus.messages.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import type { OnEventOptions } from '../interfaces/on-event-options.interface.js';
import type { Subscription } from '../interfaces/publish.interface.js';
import type { EventTransport } from '../interfaces/transport.interface.js';
import { compileFilter } from '../matching/event-filter.js';
import {
  GATEWAY_ROUTE,
  isInternalRoute,
  isValidPattern,
} from '../matching/pattern-matcher.js';
import { RouteTable } from '../matching/route-table.js';
import { EventPublisher } from '../publishing/event-publisher.js';
import { checkHandlerOptions } from '../validation/handler-options.util.js';

/**
 * The receiving side of the bus: the registry of handlers, the one routing
 * table of fan-out ones, and the bus' lifecycle (connect on init, drain and
 * close on shutdown).
 *
 * Each distinct pattern is one transport subscription however many handlers
 * share it. The transport hands every message over once; it is decoded once,
 * matched against the table once, and dispatched to every handler it reaches
 * through `HandlerInvoker`. Durable handlers are registered here too and read
 * their streams through `DurableManager`.
 */
@Injectable()
export class EventRouter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger: EventBusLogger;
  private readonly codec: EventCodec;
  private readonly routes = new RouteTable<HandlerRecord>();
  /** Every handler by id, fan-out and durable. */
  private readonly handlers = new Map<string, HandlerRecord>();
  private readonly durableHandlers = new Set<string>();
  /** Counts the fan-out events that never reached this process, from jumps in `seq`. */
  private readonly gaps = new GapCounter();
  private isClosed = false;
  private markStarted!: () => void;
  private readonly started = new Promise<void>(
    resolve => (this.markStarted = resolve),
  );
  startedAt = Date.now();

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
    transport.setSink((route, payload, channel, problem) =>
      this.receive(route, payload, channel, problem),
    );
  }

  /** Handlers registered, fan-out and durable. */
  get size(): number {
    return this.handlers.size;
  }

  get closed(): boolean {
    return this.isClosed;
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

  /** Resolves once `onModuleInit` ran, at once if it has. */
  whenStarted(): Promise<void> {
    return this.started;
  }

  /**
   * Stops taking events, lets running handlers finish (up to `shutdownTimeout`)
   * and closes the transport.
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.publisher.close();
    const records = [...this.handlers.values()];
    await Promise.allSettled(
      this.routes
        .patterns()
        .map(pattern => this.transport.unsubscribe(pattern)),
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
   * Registers a handler of the events matching `pattern` (`subscribe()`,
   * `@OnEvent`, the microservices server).
   */
  async add(
    pattern: string,
    call: (event: EventEnvelope) => unknown,
    options: OnEventOptions,
    name: string,
    id: string,
  ): Promise<Subscription> {
    if (!isValidPattern(pattern))
      throw new InvalidConfigurationError(messages.invalidPattern(pattern));
    return this.register(pattern, call, options, name, id);
  }

  /**
   * Registers the gateway's handler of room-targeted events: the ones
   * published on `GATEWAY_ROUTE` (see `EventPublisher`), whatever their type.
   */
  addGateway(
    call: (event: EventEnvelope) => unknown,
    options: OnEventOptions,
    name: string,
    id: string,
  ): Promise<Subscription> {
    return this.register(GATEWAY_ROUTE, call, options, name, id);
  }

  /** Removes a handler by id; false when there was none. */
  async remove(id: string): Promise<boolean> {
    const record = this.handlers.get(id);
    if (!record) return false;
    this.handlers.delete(id);
    if (this.durableHandlers.delete(id)) {
      await this.durable.unregister(record);
      return true;
    }
    if (this.routes.remove(record.pattern, id) && !this.isClosed)
      await this.transport.unsubscribe(record.pattern);
    return true;
  }

  private async register(
    pattern: string,
    call: (event: EventEnvelope) => unknown,
    options: OnEventOptions,
    name: string,
    id: string,
  ): Promise<Subscription> {
    if (this.isClosed) throw new EventBusUnavailableError(messages.closed());
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
    const subscription: Subscription = {
      id,
      pattern,
      unsubscribe: () => this.remove(id),
    };
    this.handlers.set(id, record);
    if (options.durable) {
      this.durableHandlers.add(id);
      await this.durable.register(record, options);
      return subscription;
    }
    if (this.routes.add(pattern, id, record)) {
      // Types this pattern adds were not heard before: a jump in their numbers is no loss.
      this.gaps.reset();
      await this.transport.subscribe(pattern);
    }
    this.logger.debug(`Handler ${name} subscribed to "${pattern}".`);
    return subscription;
  }

  /**
   * One message from the transport: decoded once (unless the transport handed
   * over the publisher's own envelope object), dispatched to every handler it
   * reaches, each with its own copy. `problem`: the transport could not take
   * the message apart (a malformed frame); it is counted and logged only.
   */
  private receive(
    route: string,
    payload: string | EventEnvelope,
    channel: string,
    problem?: string,
  ): void {
    const records = this.routes.match(route);
    if (records.length === 0) return;
    this.metrics.received++;
    // NOTE: a `#` route carries events of every type (the gateway's); a type channel only its own.
    const internal = isInternalRoute(route);
    let envelope: EventEnvelope;
    if (typeof payload === 'string') {
      const decoded =
        problem === undefined
          ? this.codec.decode(payload)
          : { ok: false as const, reason: problem };
      if (!decoded.ok || (!internal && decoded.envelope.type !== route)) {
        // Labelled by the type only when the app has it as an exact pattern: otherwise the channel names what the publisher chose.
        this.metrics.recordMalformed(
          !internal && this.routes.has(route) ? route : undefined,
        );
        this.publisher.reportMalformed(
          `channel "${channel}"`,
          payload,
          decoded.ok
            ? `envelope type "${decoded.envelope.type}" does not match the channel`
            : decoded.reason,
        );
        return;
      }
      envelope = decoded.envelope;
    } else {
      envelope = payload;
    }
    if (!internal) {
      // Only a type channel carries all of a type's numbers; the gateway route a part of them.
      const { publisherId, seq } = envelope.metadata;
      const missed = this.gaps.observe(route, publisherId, seq);
      if (missed > 0) this.reportMissed(route, missed, publisherId!, seq!);
    }
    // Each handler gets its own copy, so none sees what another wrote into its envelope. The last
    // one gets the original: nobody else holds it, and every copy was taken before it was handed out.
    const last = records.length - 1;
    for (let i = 0; i < last; i++)
      this.invoker.dispatch(records[i], cloneJson(envelope));
    this.invoker.dispatch(records[last], envelope);
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
