import { Inject, Injectable } from '@nestjs/common';
// NOTE: types only. @nestjs/terminus is an optional peer: EventBusHealthModule imports it at run time.
import type {
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { EVENT_BUS_HEALTH_OPTIONS } from '../event-bus.constants.js';
import { EventBusService } from '../event-bus.service.js';
import { DeadLetterService } from '../durable/dead-letter.service.js';
import type { DurableHealthThresholds } from '../interfaces/event-bus-health-options.interface.js';
import {
  checkDurableThresholds,
  checkHealthCallOptions,
  type ResolvedHealthOptions,
} from './event-bus-health.config.js';
import { within } from '../within.util.js';

/**
 * Terminus health indicators of the event bus, for readiness probes. Built on
 * `HealthIndicatorService`; they never throw: every problem, a timeout included,
 * is a `down` result with a `message` saying what is wrong. Provided by
 * `EventBusHealthModule.forRoot()`.
 *
 * @example
 * @Get('ready')
 * @HealthCheck()
 * ready() {
 *   return this.health.check([
 *     () => this.eventBus.isHealthy('eventBus'),
 *     () => this.eventBus.isDurableHealthy('durable', { maxPending: 1000 }),
 *   ]);
 * }
 *
 * @publicApi
 */
@Injectable()
export class EventBusHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly bus: EventBusService,
    private readonly deadLetters: DeadLetterService,
    @Inject(EVENT_BUS_HEALTH_OPTIONS)
    private readonly options: ResolvedHealthOptions,
  ) {}

  /**
   * Up when every connection the bus holds answers PING within the timeout
   * (on Redis: publisher, subscriber, and each master on a cluster). Details:
   * `transport`, `connections` (name, status, latencyMs, error), `subscriptions`.
   *
   * @param key the name of this check in the health report
   * @param options.timeout ms to wait for the answers (default: the module's `timeout`)
   */
  async isHealthy<const Key extends string>(
    key: Key,
    options: { timeout?: number } = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.indicators.check(key);
    const refused = refusal(() =>
      checkHealthCallOptions(options, 'isHealthy()'),
    );
    if (refused) return indicator.down(refused);
    const timeout = options.timeout ?? this.options.timeout;
    try {
      const health = await within(this.bus.healthCheck(timeout), timeout);
      if (!health) return indicator.down(`timeout of ${timeout}ms exceeded`);
      const details = {
        transport: health.transport,
        connections: health.connections,
        subscriptions: health.activeSubscriptions,
      };
      if (health.status === 'healthy') return indicator.up(details);
      const reasons = health.connections
        .filter(c => c.status === 'down')
        .map(c => `${c.name}: ${c.error ?? 'down'}`);
      return indicator.down({ message: reasons.join('; '), ...details });
    } catch (error) {
      return indicator.down((error as Error).message);
    }
  }

  /**
   * Up when every durable group of this process is within `maxLag` and
   * `maxPending`, and the dead letters (all streams) within `maxDeadLetters`.
   * Details: `groups` (stream, group, pending, lag), `deadLetters`, `thresholds`.
   *
   * @param key the name of this check in the health report
   * @param thresholds override the module's `durable` thresholds
   */
  async isDurableHealthy<const Key extends string>(
    key: Key,
    thresholds: DurableHealthThresholds = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.indicators.check(key);
    // NOTE: a misspelled threshold (maxPendng) would otherwise never be checked; down says so.
    const refused = refusal(() =>
      checkDurableThresholds(thresholds, '', 'isDurableHealthy()'),
    );
    if (refused) return indicator.down(refused);
    const limits = { ...this.options.durable, ...thresholds };
    const timeout = this.options.timeout;
    // NOTE: while the transport is down a Redis command would wait in ioredis' offline queue.
    if (!this.bus.isConnected()) {
      return indicator.down({
        message:
          'the event bus is not connected: durable lag and dead letters cannot be read',
        thresholds: limits,
      });
    }
    try {
      const read = await within(
        Promise.all([this.bus.getDurableLag(), this.deadLetters.count()]),
        timeout,
      );
      if (!read)
        return indicator.down({
          message: `timeout of ${timeout}ms exceeded`,
          thresholds: limits,
        });
      const [groups, deadLetters] = read;
      const problems: string[] = [];
      for (const { stream, group, pending, lag } of groups) {
        if (limits.maxPending !== undefined && pending > limits.maxPending) {
          problems.push(
            `group ${group} on stream "${stream}" has ${pending} pending entries (maxPending ${limits.maxPending})`,
          );
        }
        if (
          limits.maxLag !== undefined &&
          lag !== null &&
          lag > limits.maxLag
        ) {
          problems.push(
            `group ${group} on stream "${stream}" lags ${lag} entries behind (maxLag ${limits.maxLag})`,
          );
        }
      }
      if (
        limits.maxDeadLetters !== undefined &&
        deadLetters > limits.maxDeadLetters
      ) {
        problems.push(
          `${deadLetters} dead letters (maxDeadLetters ${limits.maxDeadLetters}): inspect and replay or purge them (event-bus-dlq list)`,
        );
      }
      const details = { groups, deadLetters, thresholds: limits };
      return problems.length === 0
        ? indicator.up(details)
        : indicator.down({ message: problems.join('; '), ...details });
    } catch (error) {
      return indicator.down({
        message: (error as Error).message,
        thresholds: limits,
      });
    }
  }
}

/** The message of what `check` throws, or undefined: indicators report, they never throw. */
function refusal(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
