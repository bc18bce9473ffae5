import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { messages } from '../event-bus.messages.js';
import type { RetryOptions } from '../interfaces/retry-options.interface.js';

/** The seeds' policy: 3 retries, 1 s, ×2, capped at 10 s; equal jitter. */
export const DEFAULT_RETRY: RetryOptions = {
  maxRetries: 3,
  initialDelay: 1000,
  multiplier: 2,
  maxDelay: 10_000,
  jitter: 'equal',
};

/** Merges partial retry options over a base and checks every number. */
export function resolveRetry(
  base: RetryOptions,
  override: Partial<RetryOptions> = {},
): RetryOptions {
  const merged: RetryOptions = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value !== undefined)
      (merged as unknown as Record<string, unknown>)[key] = value;
  }
  for (const field of [
    'maxRetries',
    'initialDelay',
    'multiplier',
    'maxDelay',
  ] as const) {
    const value = merged[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidConfigurationError(messages.invalidRetry(field, value));
    }
  }
  if (!['full', 'equal', 'none'].includes(merged.jitter)) {
    throw new InvalidConfigurationError(
      messages.invalidJitter('"jitter"', merged.jitter),
    );
  }
  return merged;
}

/**
 * Delay before retry number `retry` (1-based), in ms: `initialDelay × multiplier^(retry-1)`, capped
 * at `maxDelay`, with jitter. The one backoff of the library: handler retries, Redis reconnects,
 * durable read errors.
 *
 * @param random a source in [0, 1), injectable for tests
 */
export function backoffDelay(
  policy: Pick<
    RetryOptions,
    'initialDelay' | 'multiplier' | 'maxDelay' | 'jitter'
  >,
  retry: number,
  random: () => number = Math.random,
): number {
  const raw =
    policy.initialDelay * Math.pow(policy.multiplier, Math.max(0, retry - 1));
  const capped = Math.min(policy.maxDelay, raw);
  switch (policy.jitter) {
    case 'full':
      return Math.floor(random() * capped);
    case 'equal':
      return Math.floor(capped / 2 + random() * (capped / 2));
    default:
      return Math.floor(capped);
  }
}
