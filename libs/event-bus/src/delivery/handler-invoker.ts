import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { EVENT_BUS_CONFIG, type EventBusConfig } from '../event-bus.config.js';
import { EventBusLogger, eventTag } from '../event-bus.logger.js';
import { messages } from '../event-bus.messages.js';
import { HandlerTimeoutError } from '../errors/handler-timeout.error.js';
import { traceStorage, type TraceContext } from '../envelope/trace-context.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import type {
  DurableDelivery,
  MessagingSystem,
} from '../tracing/bus-tracer.js';
import { activeTracer } from '../tracing/open-telemetry.js';
import { EventBusMetrics } from './event-bus-metrics.js';
import type { HandlerRecord } from './handler-record.js';
import { backoffDelay } from './retry-policy.js';
import { within } from '../within.util.js';

/** How one event ended for one handler. */
export type HandlerOutcome =
  | { status: 'delivered'; attempts: number }
  | { status: 'filtered'; attempts: number }
  | { status: 'aborted'; attempts: number }
  | {
      status: 'failed';
      attempts: number;
      error: unknown;
      firstFailureAt: string;
      lastFailureAt: string;
    };

/** The outcome of every event its handler took at the first attempt (shared: outcomes are only read). */
const DELIVERED: HandlerOutcome = Object.freeze({
  status: 'delivered',
  attempts: 1,
});

// Nest's guards consumer throws exactly this when a guard returns false.
const GUARD_REJECTION = 'Forbidden resource';

function isGuardRejection(error: unknown): boolean {
  return (
    error instanceof ForbiddenException && error.message === GUARD_REJECTION
  );
}

/**
 * Runs handlers: filter, concurrency limit, timeout, retries with backoff. It is
 * the one place a handler error is caught, so a failing handler never stops the
 * others and never reaches the process.
 */
@Injectable()
export class HandlerInvoker {
  private readonly logger: EventBusLogger;
  private closing = false;
  private readonly sleepers = new Set<{
    timer: NodeJS.Timeout;
    resolve: () => void;
  }>();
  private parsedTimestamp = '';
  private parsedTime = NaN;
  /** `messaging.system` of the delivery spans. */
  private readonly system: MessagingSystem;

  constructor(
    @Inject(EVENT_BUS_CONFIG) config: EventBusConfig,
    private readonly metrics: EventBusMetrics,
  ) {
    this.logger = new EventBusLogger('EventBus', config.logLevel);
    this.system = config.transport;
  }

  /** True once close() was called. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Hands one fan-out event to one handler. Never throws. */
  dispatch(record: HandlerRecord, event: EventEnvelope): void {
    if (this.closing) {
      this.metrics.dropped++;
      return;
    }
    if (record.filter) {
      let pass: boolean;
      try {
        pass = record.filter(event);
      } catch {
        pass = false;
      }
      if (!pass) {
        this.metrics.filtered++;
        return;
      }
    }
    const runFanOut = (done: () => void): void =>
      this.attempt(record, event, outcome => {
        if (outcome.status === 'aborted') this.metrics.dropped++;
        done();
      });
    if (!record.limiter.run(runFanOut)) {
      this.metrics.dropped++;
      this.logger.limited(
        'dropped (maxQueued)',
        'warn',
        `Dropped ${eventTag(event)} for ${record.name}: ${record.limiter.waiting} events already wait for it (option maxQueued). Raise concurrency or maxQueued, or make the handler faster.`,
      );
    }
  }

  /** Stops new deliveries, cancels pending retry waits and drops queued events. */
  close(records: Iterable<HandlerRecord>): void {
    this.closing = true;
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
    this.sleepers.clear();
    for (const record of records)
      this.metrics.dropped += record.limiter.clear();
  }

  /** Resolves when the given handlers are idle or after `timeoutMs`; true when idle. */
  drain(records: Iterable<HandlerRecord>, timeoutMs: number): Promise<boolean> {
    const idle = Promise.all([...records].map(r => r.limiter.onIdle())).then(
      () => true,
    );
    return within(idle, timeoutMs, false);
  }

  /**
   * Runs one event through one handler with its timeout and retries, and says
   * how it ended. Never throws. Durable delivery acts on the outcome (ack, dead
   * letter, leave pending).
   */
  run(record: HandlerRecord, event: EventEnvelope): Promise<HandlerOutcome> {
    return new Promise(resolve => this.attempt(record, event, resolve));
  }

  /**
   * `run` with a callback, called once (durable delivery's hot path: no promise of ours per event).
   * `group` and `deliveries` (1, or more for an entry taken over) are for the delivery's span.
   */
  invoke(
    record: HandlerRecord,
    event: EventEnvelope,
    settle: (outcome: HandlerOutcome) => void,
    group?: string,
    deliveries?: number,
  ): void {
    this.attempt(record, event, settle, group, deliveries);
  }

  /**
   * `run` with a callback: fan-out calls it for every event, and the first
   * attempt then costs no promise of ours (one `then` on an async handler's
   * promise, nothing for a sync handler). With AsyncLocalStorage on, Node 20
   * runs a hook for every promise; retries take the plain loop in `retry`.
   * `settle` is called once, synchronously when a sync handler succeeded.
   */
  private attempt(
    record: HandlerRecord,
    event: EventEnvelope,
    settle: (outcome: HandlerOutcome) => void,
    group?: string,
    deliveries?: number,
  ): void {
    // The one check tracing costs per delivery while no tracer provider is registered.
    const tracer = activeTracer();
    if (tracer !== undefined) {
      const durable: DurableDelivery | undefined =
        group === undefined
          ? undefined
          : { group, deliveries: deliveries ?? 1 };
      tracer.deliver(record, event, this.system, durable, settle, traced =>
        this.attemptNow(record, event, traced),
      );
      return;
    }
    this.attemptNow(record, event, settle);
  }

  private attemptNow(
    record: HandlerRecord,
    event: EventEnvelope,
    settle: (outcome: HandlerOutcome) => void,
  ): void {
    const trace: TraceContext = {
      traceId: event.metadata.traceId,
      correlationId: event.metadata.correlationId ?? event.metadata.traceId,
      eventId: event.id,
    };
    this.metrics.inFlight++;
    let result: unknown;
    try {
      result = traceStorage.run(trace, record.call, event);
    } catch (error) {
      this.metrics.inFlight--;
      void this.retry(record, event, trace, error).then(settle);
      return;
    }
    if (!(result instanceof Promise)) {
      this.metrics.inFlight--;
      this.recordDelivered(event);
      settle(DELIVERED);
      return;
    }
    let settled = false;
    const timer = record.timeout
      ? setTimeout(() => {
          settled = true;
          this.metrics.inFlight--;
          void this.retry(
            record,
            event,
            trace,
            new HandlerTimeoutError(
              messages.handlerTimeout(record.name, record.timeout),
            ),
          ).then(settle);
        }, record.timeout)
      : undefined;
    result.then(
      () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.metrics.inFlight--;
        this.recordDelivered(event);
        settle(DELIVERED);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.metrics.inFlight--;
        void this.retry(record, event, trace, error).then(settle);
      },
    );
  }

  private recordDelivered(event: EventEnvelope): void {
    const timestamp = event.metadata.timestamp;
    // NOTE: events of one publisher in one millisecond share their timestamp: parse it once.
    if (timestamp !== this.parsedTimestamp) {
      this.parsedTimestamp = timestamp;
      this.parsedTime = Date.parse(timestamp);
    }
    this.metrics.recordDelivery(Date.now() - this.parsedTime, event.type);
  }

  /** After a failed first attempt: guard refusals, retries with backoff, and the final failure. */
  private async retry(
    record: HandlerRecord,
    event: EventEnvelope,
    trace: TraceContext,
    firstError: unknown,
  ): Promise<HandlerOutcome> {
    let firstFailureAt: string | undefined;
    let error: unknown =
      firstError ?? new Error('handler threw a nullish value');
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) {
        error = undefined;
        this.metrics.inFlight++;
        try {
          await traceStorage.run(trace, () =>
            this.callWithTimeout(record, event),
          );
        } catch (caught) {
          error = caught ?? new Error('handler threw a nullish value');
        } finally {
          this.metrics.inFlight--;
        }
        if (error === undefined) {
          this.recordDelivered(event);
          return { status: 'delivered', attempts: attempt };
        }
      }
      if (isGuardRejection(error)) {
        this.metrics.filtered++;
        this.logger.debug(
          `A guard turned away ${eventTag(event)} for ${record.name}.`,
        );
        return { status: 'filtered', attempts: attempt };
      }
      const now = new Date().toISOString();
      firstFailureAt ??= now;
      const reason = error instanceof Error ? error.message : String(error);
      if (attempt > record.retry.maxRetries) {
        this.metrics.recordFailure(event.type);
        this.logger.limited(
          'handler failed',
          'error',
          `Handler ${record.name} failed on ${eventTag(event)} after ${attempt} attempt(s): ${reason}`,
          error instanceof Error ? error.stack : undefined,
        );
        return {
          status: 'failed',
          attempts: attempt,
          error,
          firstFailureAt,
          lastFailureAt: now,
        };
      }
      if (this.closing) {
        this.logger.limited(
          'retry given up at shutdown',
          'warn',
          `Shutting down: gave up retrying ${record.name} on ${eventTag(event)} after ${attempt} attempt(s).`,
        );
        return { status: 'aborted', attempts: attempt };
      }
      this.metrics.recordRetry(event.type);
      const delay = backoffDelay(record.retry, attempt);
      activeTracer()?.retrying(error, attempt, delay);
      this.logger.limited(
        'handler retry',
        'warn',
        `Handler ${record.name} failed on ${eventTag(event)} (attempt ${attempt} of ${record.retry.maxRetries + 1}): ${reason}. Retrying in ${delay} ms.`,
      );
      await this.sleep(delay);
      if (this.closing) return { status: 'aborted', attempts: attempt };
    }
  }

  private callWithTimeout(
    record: HandlerRecord,
    event: EventEnvelope,
  ): unknown {
    const result = record.call(event);
    if (!record.timeout || !(result instanceof Promise)) return result;
    // NOTE: one promise and one timer per call, not Promise.race + finally (several promises, each
    // run through the async hooks AsyncLocalStorage enables on Node 20): this is the hot path.
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new HandlerTimeoutError(
              messages.handlerTimeout(record.name, record.timeout),
            ),
          ),
        record.timeout,
      );
      result.then(
        value => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise(resolve => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      this.sleepers.add(sleeper);
    });
  }
}
