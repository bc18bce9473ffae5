import { Inject, Injectable } from '@nestjs/common';
import { EVENT_BUS_CONFIG, type EventBusConfig } from '../event-bus.config.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import { TypeMetrics } from '../metrics/type-metrics.js';
import { SchedulingCounters } from '../scheduling/scheduling-counters.js';

const WINDOW_SECONDS = 10;

type HandlerCall = (event: EventEnvelope) => unknown;

/**
 * The bus' counters, and the one place that counts. `EventBusService.getStats()`
 * reads the totals; with the `metrics` option on, the same calls also count per
 * event type (`byType`), which the Prometheus exporter reads on scrape. With it
 * off, `byType` is undefined and each call costs one property check more.
 */
@Injectable()
export class EventBusMetrics {
  published = 0;
  received = 0;
  delivered = 0;
  failed = 0;
  retried = 0;
  filtered = 0;
  /** Durable entries a group acknowledged without running: another pattern's type, or a replay for another group. */
  skipped = 0;
  dropped = 0;
  malformed = 0;
  /** Fan-out events that never reached this process, from jumps in `metadata.seq`. */
  missed = 0;
  deadLettered = 0;
  inFlight = 0;
  /** Delayed publishes and schedule fires (`scheduling/`). */
  readonly scheduling = new SchedulingCounters();
  /** Counts per `type` label; undefined unless the `metrics` option is on. */
  readonly byType?: TypeMetrics;
  private latencyTotal = 0;
  private latencyCount = 0;
  // Deliveries per second for the last WINDOW_SECONDS seconds, indexed by second modulo the window.
  private readonly buckets = new Array<number>(WINDOW_SECONDS).fill(0);
  private readonly bucketSecond = new Array<number>(WINDOW_SECONDS).fill(-1);

  constructor(@Inject(EVENT_BUS_CONFIG) config: EventBusConfig) {
    if (config.metrics.enabled) this.byType = new TypeMetrics(config.metrics);
  }

  /** An event accepted by `publish()` and sent. */
  recordPublished(type: string): void {
    this.published++;
    if (this.byType) this.byType.countsOf(type).published++;
  }

  /**
   * A handler finished an event. `latencyMs` runs from the event's timestamp.
   * `type` is optional only so that a caller not yet passing it still counts the total.
   */
  recordDelivery(latencyMs: number, type?: string): void {
    this.delivered++;
    if (this.byType) this.byType.countsOf(type).delivered++;
    if (Number.isFinite(latencyMs) && latencyMs >= 0) {
      this.latencyTotal += latencyMs;
      this.latencyCount++;
    }
    const second = Math.floor(Date.now() / 1000);
    const slot = second % WINDOW_SECONDS;
    if (this.bucketSecond[slot] !== second) {
      this.bucketSecond[slot] = second;
      this.buckets[slot] = 0;
    }
    this.buckets[slot]++;
  }

  /** A handler failed an event after its last retry. */
  recordFailure(type: string): void {
    this.failed++;
    if (this.byType) this.byType.countsOf(type).failed++;
  }

  /** A retry was scheduled after a failed attempt. */
  recordRetry(type: string): void {
    this.retried++;
    if (this.byType) this.byType.countsOf(type).retried++;
  }

  /** A durable event went to the dead letters (`type` undefined when the entry could not be read). */
  recordDeadLetter(type: string | undefined): void {
    this.deadLettered++;
    if (this.byType) this.byType.countsOf(type).deadLettered++;
  }

  /** A message that is not a valid envelope (`type`: the one its channel names, if any). */
  recordMalformed(type: string | undefined): void {
    this.malformed++;
    if (this.byType) this.byType.countsOf(type).malformed++;
  }

  /** `count` events of `type` never reached this process (its publisher's `seq` jumped). */
  recordMissed(type: string, count: number): void {
    this.missed += count;
    if (this.byType) this.byType.countsOf(type).missed += count;
  }

  /**
   * Wraps a handler so that each call's run time goes to the duration histogram.
   * Returns `call` itself when metrics are off, so the hot path is untouched; the
   * wrapper returns the handler's own result, so timeouts and retries see the same.
   */
  instrument(call: HandlerCall): HandlerCall {
    const byType = this.byType;
    if (!byType) return call;
    return event => {
      const started = performance.now();
      const done = (ok: boolean) =>
        byType.observeDuration(
          event.type,
          ok,
          (performance.now() - started) / 1000,
        );
      let result: unknown;
      try {
        result = call(event);
      } catch (error) {
        done(false);
        throw error;
      }
      // A side branch with both callbacks: the caller still gets (and handles) the original promise.
      if (result instanceof Promise) {
        result.then(
          () => done(true),
          () => done(false),
        );
      } else done(true);
      return result;
    };
  }

  /** Deliveries per second over the last complete window. */
  rate(): number {
    const now = Math.floor(Date.now() / 1000);
    let total = 0;
    for (let i = 0; i < WINDOW_SECONDS; i++) {
      if (now - this.bucketSecond[i] < WINDOW_SECONDS) total += this.buckets[i];
    }
    return Math.round((total / WINDOW_SECONDS) * 100) / 100;
  }

  averageLatency(): number {
    return this.latencyCount === 0
      ? 0
      : Math.round((this.latencyTotal / this.latencyCount) * 100) / 100;
  }
}
