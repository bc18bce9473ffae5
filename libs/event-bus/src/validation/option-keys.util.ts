import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { messages } from '../event-bus.messages.js';

/**
 * Where a name users write (the seed documents', another library's) leads: `key`, the
 * real option as a full path from the options root; `note`, what to know when the
 * meaning differs. A string is a key alone.
 *
 * @example { 'retry.backoffMultiplier': 'retry.multiplier', retryOnError: { key: 'retry.maxRetries', note: 'Handlers retry by default.' } }
 */
export type OptionAlias = string | { key?: string; note: string };

/**
 * Aliases by full path from the options root (`'retry.backoffMultiplier'`,
 * `'metadata.filter'`); a nested path is matched when its parent is unknown.
 */
export type OptionAliases = Readonly<Record<string, OptionAlias>>;

/** `"retry.jitter"`, or `"retry.jitter" of handler X` when the owner is named. */
export function optionLabel(path: string, owner?: string): string {
  return owner ? `"${path}" of ${owner}` : `"${path}"`;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** A non-null object that is not an array: what an options object must be. */
export function isOptionsObject(
  value: unknown,
): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Levenshtein distance between two strings (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The known name closest to `name`, when a slip of the keyboard away: the same but
 * for case, or at most 2 edits (1 for names of 4 characters or fewer, where 2 edits
 * make another word).
 *
 * @example didYouMean('multiplyer', ['maxRetries', 'multiplier']) // 'multiplier'
 */
export function didYouMean(
  name: string,
  known: readonly string[],
): string | undefined {
  const lower = name.toLowerCase();
  const limit = name.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function explain(
  path: string,
  key: string,
  value: unknown,
  known: readonly string[],
  aliases: OptionAliases,
) {
  const full = join(path, key);
  // NOTE: a nested alias names the exact key written (`metadata.filter`), more useful than its parent.
  if (isOptionsObject(value)) {
    for (const inner of Object.keys(value)) {
      const alias = aliases[`${full}.${inner}`];
      if (alias !== undefined)
        return { full: `${full}.${inner}`, ...unpack(alias) };
    }
  }
  const alias = aliases[full];
  if (alias !== undefined) return { full, ...unpack(alias) };
  const near = didYouMean(key, known);
  return { full, key: near && join(path, near), note: undefined };
}

function unpack(alias: OptionAlias): { key?: string; note?: string } {
  return typeof alias === 'string' ? { key: alias } : alias;
}

/**
 * Refuses keys of an options object that the library does not read, so a
 * misspelled or foreign option fails at start instead of being ignored. The
 * message names the full key path and, when one is near, the real key.
 * Leaves `undefined` alone (an option not given); refuses anything else that is
 * not an object. Objects passed through to other libraries (ioredis options) must
 * not be given to it.
 *
 * @param path where `value` sits from the options root (`''` for the root, `'retry'`)
 * @param value the options object as the user gave it
 * @param known the keys read at `path`
 * @param aliases names users write for real keys, by full path
 * @param owner what takes the options, for the message (`EventBusModule`, `handler Orders.place`)
 * @throws InvalidConfigurationError naming every unknown key of `value`
 *
 * @example assertKnownKeys('retry', { backoffMultiplier: 2 }, ['maxRetries', 'multiplier'], { 'retry.backoffMultiplier': 'retry.multiplier' })
 * // Unknown option "retry.backoffMultiplier": did you mean "retry.multiplier"?
 */
export function assertKnownKeys(
  path: string,
  value: unknown,
  known: readonly string[],
  aliases: OptionAliases = {},
  owner?: string,
): void {
  if (value === undefined) return;
  if (!isOptionsObject(value))
    throw new InvalidConfigurationError(
      messages.optionNotObject(optionLabel(path, owner), value, known),
    );
  const problems = Object.keys(value)
    .filter(key => !known.includes(key))
    .map(key => {
      const {
        full,
        key: suggestion,
        note,
      } = explain(path, key, value[key], known, aliases);
      return messages.unknownOption(
        optionLabel(full, owner),
        suggestion,
        note,
        known,
      );
    });
  if (problems.length > 0)
    throw new InvalidConfigurationError(problems.join(' '));
}

/**
 * Refuses a value that is not one of `allowed`, naming them (and the nearest one).
 *
 * @returns the value, typed
 */
export function assertOneOf<T extends string>(
  path: string,
  value: unknown,
  allowed: readonly T[],
  owner?: string,
): T {
  if (
    typeof value === 'string' &&
    (allowed as readonly string[]).includes(value)
  )
    return value as T;
  // A value that starts with an allowed one ('warning', 'beginning-of-stream') is near it too.
  const near =
    typeof value === 'string'
      ? (didYouMean(value, allowed) ??
        allowed.find(a => value.toLowerCase().startsWith(a.toLowerCase())))
      : undefined;
  throw new InvalidConfigurationError(
    messages.invalidOptionChoice(
      optionLabel(path, owner),
      value,
      allowed,
      near,
    ),
  );
}

/** Refuses a value given but not of the expected `typeof` (`'boolean'`, `'string'`, `'function'`). */
export function assertTypeOf(
  path: string,
  value: unknown,
  type: 'boolean' | 'string' | 'function',
  owner?: string,
): void {
  if (value === undefined || typeof value === type) return;
  const expected =
    type === 'boolean'
      ? 'true or false'
      : type === 'string'
        ? 'a string'
        : 'a function';
  throw new InvalidConfigurationError(
    messages.invalidOptionType(optionLabel(path, owner), value, expected),
  );
}

/** Refuses a value given but not a finite number >= `min`. */
export function assertNumber(
  path: string,
  value: unknown,
  min: number,
  owner?: string,
): void {
  if (
    value === undefined ||
    (typeof value === 'number' && Number.isFinite(value) && value >= min)
  )
    return;
  throw new InvalidConfigurationError(
    messages.invalidOptionNumber(optionLabel(path, owner), value, min),
  );
}

/** Refuses a value given but not an integer from `min` to `max`. */
export function assertIntegerIn(
  path: string,
  value: unknown,
  min: number,
  max: number,
  owner?: string,
): void {
  if (
    value === undefined ||
    (Number.isInteger(value) &&
      (value as number) >= min &&
      (value as number) <= max)
  )
    return;
  throw new InvalidConfigurationError(
    messages.invalidOptionInteger(optionLabel(path, owner), value, min, max),
  );
}

/**
 * The keys of an options interface as a list, checked by the compiler both ways:
 * an option added to the interface but not here (or the reverse) fails the build.
 *
 * @example const RETRY_KEYS = optionKeys<RetryOptions>({ maxRetries: true, initialDelay: true, multiplier: true, maxDelay: true, jitter: true });
 */
export function optionKeys<T>(keys: Record<keyof T, true>): readonly string[] {
  return Object.keys(keys);
}
