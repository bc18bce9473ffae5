import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { messages } from '../event-bus.messages.js';
import type {
  EventFilter,
  FilterCondition,
} from '../interfaces/event-filter.interface.js';
import type { OnEventOptions } from '../interfaces/on-event-options.interface.js';
import type { RetryOptions } from '../interfaces/retry-options.interface.js';
import {
  assertKnownKeys,
  assertNumber,
  assertOneOf,
  assertTypeOf,
  isOptionsObject,
  optionKeys,
  optionLabel,
  type OptionAliases,
} from './option-keys.util.js';

const RETRY_KEYS = optionKeys<RetryOptions>({
  maxRetries: true,
  initialDelay: true,
  multiplier: true,
  maxDelay: true,
  jitter: true,
});

const JITTERS = ['equal', 'full', 'none'] as const;

/** The seeds' retry names (`backoffMultiplier`, `retryDelay`) and other libraries'. */
const RETRY_ALIASES: OptionAliases = {
  'retry.backoffMultiplier': 'retry.multiplier',
  'retry.factor': 'retry.multiplier',
  'retry.retryDelay': 'retry.initialDelay',
  'retry.delay': 'retry.initialDelay',
  'retry.retries': 'retry.maxRetries',
  'retry.maxAttempts': {
    key: 'retry.maxRetries',
    note: 'maxRetries counts the retries after the first attempt (attempts - 1).',
  },
  'retry.attempts': {
    key: 'retry.maxRetries',
    note: 'maxRetries counts the retries after the first attempt (attempts - 1).',
  },
};

/**
 * Retry fields written beside `retry` instead of in it, as the seeds do
 * (`subscribe(p, h, { retryOnError: true, maxRetries: 3 })`): valid at the root of
 * handler options and of module options alike.
 */
export const HOISTED_RETRY_ALIASES: OptionAliases = {
  ...Object.fromEntries(RETRY_KEYS.map(key => [key, `retry.${key}`])),
  backoffMultiplier: 'retry.multiplier',
  retryDelay: 'retry.initialDelay',
  retryOnError: {
    key: 'retry.maxRetries',
    note: 'Handlers retry on error by default (3 retries with backoff, then the failure is logged and counted): set retry: { maxRetries } to change how often, 0 to turn retrying off.',
  },
};

const HANDLER_KEYS = optionKeys<OnEventOptions>({
  retry: true,
  timeout: true,
  filter: true,
  concurrency: true,
  maxQueued: true,
  name: true,
  durable: true,
  group: true,
  startFrom: true,
  claimIdleMs: true,
  idempotency: true,
});

const HANDLER_ALIASES: OptionAliases = {
  ...HOISTED_RETRY_ALIASES,
  ...RETRY_ALIASES,
  'metadata.filter': 'filter',
  metadata: {
    note: 'Handler options have no metadata block: filter, retry and the others go at the top level.',
  },
  conditions: {
    key: 'filter',
    note: 'Conditions go in filter: { conditions: [...] }.',
  },
  consumerGroup: 'group',
  groupName: 'group',
  'idempotency.ttl': 'idempotency.windowMs',
  'idempotency.ttlMs': 'idempotency.windowMs',
};

/** Options that only durable handlers read. */
const DURABLE_ONLY = [
  'group',
  'startFrom',
  'claimIdleMs',
  'idempotency',
] as const;

const GROUP_KEYS = optionKeys<EventFilter>({
  operator: true,
  conditions: true,
});
const CONDITION_KEYS = optionKeys<FilterCondition>({
  field: true,
  operator: true,
  value: true,
});

/**
 * Checks a `retry` object (module default or one handler's): its keys, its numbers
 * and `jitter`, whose message names the values it takes.
 *
 * @param owner what takes the options, for the message
 * @throws InvalidConfigurationError naming the bad key or value
 */
export function checkRetryOptions(retry: unknown, owner?: string): void {
  assertKnownKeys('retry', retry, RETRY_KEYS, RETRY_ALIASES, owner);
  if (!isOptionsObject(retry)) return;
  for (const field of [
    'maxRetries',
    'initialDelay',
    'multiplier',
    'maxDelay',
  ] as const) {
    assertNumber(`retry.${field}`, retry[field], 0, owner);
  }
  if (
    retry.jitter !== undefined &&
    !(JITTERS as readonly unknown[]).includes(retry.jitter)
  ) {
    throw new InvalidConfigurationError(
      messages.invalidJitter(optionLabel('retry.jitter', owner), retry.jitter),
    );
  }
}

/** Checks the keys of a filter and of each of its conditions and groups, at any depth. */
function checkFilterKeys(node: unknown, path: string, owner: string): void {
  // NOTE: a node that is no object is left to compileFilter, whose message says what a filter is.
  if (!isOptionsObject(node)) return;
  if (Array.isArray(node.conditions)) {
    assertKnownKeys(path, node, GROUP_KEYS, {}, owner);
    node.conditions.forEach((child, i) =>
      checkFilterKeys(child, `${path}.conditions[${i}]`, owner),
    );
  } else {
    // A condition; or a group whose `conditions` is misspelled, which the wider list suggests.
    assertKnownKeys(
      path,
      node,
      'field' in node ? CONDITION_KEYS : [...CONDITION_KEYS, 'conditions'],
      {},
      owner,
    );
  }
}

/**
 * Refuses handler options (`@OnEvent`, `subscribe`, `@EventPattern` extras) that
 * the bus would not read or could not use: unknown keys (with the real key when
 * one is near or the seeds name it differently), bad values, and durable-only
 * options on a fan-out handler. Runs when the handler is registered.
 *
 * @param options the handler's options as given
 * @param name the handler's name, for the message
 * @throws InvalidConfigurationError naming the option by its full path
 *
 * @example checkHandlerOptions({ maxRetries: 3 }, 'subscribe(x.*)')
 * // Unknown option "maxRetries" of handler subscribe(x.*): did you mean "retry.maxRetries"?
 */
export function checkHandlerOptions(
  options: OnEventOptions,
  name: string,
): void {
  const owner = `handler ${name}`;
  assertKnownKeys('', options, HANDLER_KEYS, HANDLER_ALIASES, owner);
  checkRetryOptions(options.retry, owner);
  assertKnownKeys('filter', options.filter, GROUP_KEYS, {}, owner);
  checkFilterKeys(options.filter, 'filter', owner);
  assertNumber('timeout', options.timeout, 0, owner);
  assertNumber('concurrency', options.concurrency, 0, owner);
  assertNumber('maxQueued', options.maxQueued, 0, owner);
  assertTypeOf('name', options.name, 'string', owner);
  assertTypeOf('durable', options.durable, 'boolean', owner);
  if (!options.durable) {
    const given = DURABLE_ONLY.find(key => options[key] !== undefined);
    if (given)
      throw new InvalidConfigurationError(
        messages.durableOnlyOption(optionLabel(given, owner)),
      );
    return;
  }
  assertTypeOf('group', options.group, 'string', owner);
  if (options.startFrom !== undefined)
    assertOneOf('startFrom', options.startFrom, ['new', 'beginning'], owner);
  assertNumber('claimIdleMs', options.claimIdleMs, 0, owner);
  if (options.idempotency !== undefined) {
    assertKnownKeys(
      'idempotency',
      options.idempotency,
      ['windowMs'],
      HANDLER_ALIASES,
      owner,
    );
    // NOTE: without a window the done-marker would expire at once (Redis refuses PX 0).
    const windowMs = options.idempotency.windowMs;
    if (
      typeof windowMs !== 'number' ||
      !Number.isFinite(windowMs) ||
      windowMs < 1
    ) {
      throw new InvalidConfigurationError(
        messages.invalidOptionNumber(
          optionLabel('idempotency.windowMs', owner),
          windowMs,
          1,
        ),
      );
    }
  }
}
