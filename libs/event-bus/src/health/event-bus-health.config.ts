import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type {
  DurableHealthThresholds,
  EventBusHealthOptions,
} from '../interfaces/event-bus-health-options.interface.js';

/** `EventBusHealthModule` options with defaults applied and values checked. */
export interface ResolvedHealthOptions {
  timeout: number;
  durable: DurableHealthThresholds;
}

function check(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < min)) {
    throw new InvalidConfigurationError(`Option "${name}" of EventBusHealthModule is ${JSON.stringify(value)}: give a number >= ${min}, or leave it out.`);
  }
}

/** Applies defaults; throws `InvalidConfigurationError` naming the bad option. */
export function resolveHealthOptions(options: EventBusHealthOptions = {}): ResolvedHealthOptions {
  const timeout = options.timeout ?? 1000;
  check('timeout', timeout, 1);
  const durable = { ...options.durable };
  check('durable.maxLag', durable.maxLag, 0);
  check('durable.maxPending', durable.maxPending, 0);
  check('durable.maxDeadLetters', durable.maxDeadLetters, 0);
  return { timeout, durable };
}
