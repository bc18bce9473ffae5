import { escapeRedisGlob, toRedisGlob } from '../../matching/pattern-matcher.js';

/**
 * Every Redis name the bus uses comes from here, so that a prefix change or a
 * cluster hash tag is made in one place.
 */
export const redisKeys = {
  /** Pub/sub channel of an event type. */
  channel: (prefix: string, type: string): string => prefix + type,
  /** PSUBSCRIBE glob of a wildcard pattern (a superset; matched exactly afterwards). */
  glob: (prefix: string, pattern: string): string => escapeRedisGlob(prefix) + toRedisGlob(pattern),
  /** Event type of a channel, or undefined when the channel is not ours. */
  typeOf: (prefix: string, channel: string): string | undefined =>
    channel.startsWith(prefix) ? channel.slice(prefix.length) : undefined,
};
