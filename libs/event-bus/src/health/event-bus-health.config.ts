import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type {
  DurableHealthThresholds,
  EventBusHealthOptions,
} from '../interfaces/event-bus-health-options.interface.js';
import {
  assertKnownKeys,
  optionKeys,
  type OptionAliases,
} from '../validation/option-keys.util.js';

/** `EventBusHealthModule` options with defaults applied and values checked. */
export interface ResolvedHealthOptions {
  timeout: number;
  durable: DurableHealthThresholds;
}

const OWNER = 'EventBusHealthModule';
const HEALTH_KEYS = optionKeys<EventBusHealthOptions>({
  timeout: true,
  durable: true,
});
const THRESHOLD_KEYS = optionKeys<DurableHealthThresholds>({
  maxLag: true,
  maxPending: true,
  maxDeadLetters: true,
});
const HEALTH_ALIASES: OptionAliases = {
  ...Object.fromEntries(THRESHOLD_KEYS.map(key => [key, `durable.${key}`])),
  timeoutMs: 'timeout',
};

function check(
  name: string,
  value: number | undefined,
  min: number,
  owner = OWNER,
): void {
  if (
    value !== undefined &&
    (typeof value !== 'number' || !Number.isFinite(value) || value < min)
  ) {
    throw new InvalidConfigurationError(
      `Option "${name}" of ${owner} is ${typeof value === 'number' ? value : JSON.stringify(value)}: give a number >= ${min}, or leave it out.`,
    );
  }
}

/**
 * Checks durable thresholds: the module's `durable`, or the overrides given to
 * `isDurableHealthy()` (`path` `''`).
 *
 * @throws InvalidConfigurationError naming the unknown key or the bad value
 */
export function checkDurableThresholds(
  thresholds: DurableHealthThresholds | undefined,
  path: string,
  owner = OWNER,
): void {
  const prefix = path ? `${path}.` : '';
  assertKnownKeys(path, thresholds, THRESHOLD_KEYS, {}, owner);
  for (const key of THRESHOLD_KEYS)
    check(
      `${prefix}${key}`,
      thresholds?.[key as keyof DurableHealthThresholds],
      0,
      owner,
    );
}

/**
 * Checks the options of one `isHealthy()` call.
 *
 * @throws InvalidConfigurationError naming the unknown key or the bad value
 */
export function checkHealthCallOptions(
  options: { timeout?: number } | undefined,
  owner: string,
): void {
  assertKnownKeys('', options, ['timeout'], {}, owner);
  check('timeout', options?.timeout, 1, owner);
}

/** Applies defaults; throws `InvalidConfigurationError` naming the bad option. */
export function resolveHealthOptions(
  options: EventBusHealthOptions = {},
): ResolvedHealthOptions {
  assertKnownKeys('', options, HEALTH_KEYS, HEALTH_ALIASES, OWNER);
  const timeout = options.timeout ?? 1000;
  check('timeout', timeout, 1);
  checkDurableThresholds(options.durable, 'durable');
  return { timeout, durable: { ...options.durable } };
}
