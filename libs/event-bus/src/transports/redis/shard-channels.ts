import type { RedisClusterOptions } from '../../interfaces/event-bus-options.interface.js';
import { isInternalRoute } from '../../matching/pattern-matcher.js';

/**
 * How fan-out uses Redis Cluster's pub/sub (`redis.cluster.shardedPubSub`):
 * `false` classic `PUBLISH` (every node gets every event), `true` sharded
 * `SPUBLISH` / `SSUBSCRIBE` (each event reaches its shard only), and the two
 * steps of a rolling upgrade between them, which listen on both kinds.
 */
export type ShardedPubSubMode = NonNullable<
  RedisClusterOptions['shardedPubSub']
>;

/** The values `redis.cluster.shardedPubSub` takes besides `true` and `false`. */
export const SHARDED_UPGRADE_STEPS = [
  'listen-both',
  'publish-sharded',
] as const;

/** What one mode does: which kind it publishes with and which kinds it listens on. */
export interface ShardedPubSubPlan {
  publishSharded: boolean;
  listenSharded: boolean;
  listenClassic: boolean;
}

export function shardedPubSubPlan(
  mode: ShardedPubSubMode | undefined,
): ShardedPubSubPlan {
  switch (mode) {
    case true:
      return {
        publishSharded: true,
        listenSharded: true,
        listenClassic: false,
      };
    case 'listen-both':
      return {
        publishSharded: false,
        listenSharded: true,
        listenClassic: true,
      };
    case 'publish-sharded':
      return { publishSharded: true, listenSharded: true, listenClassic: true };
    default:
      return {
        publishSharded: false,
        listenSharded: false,
        listenClassic: true,
      };
  }
}

const DOT = '.'.charCodeAt(0);

/**
 * The shard a route travels on: an event type's first segment (`photo` for
 * `photo.processing.started`), or the whole `#` route (`#gateway`).
 * Sharded pub/sub has no patterns, so a subscription can only be narrowed to
 * a channel it can name: with one channel per first segment, `photo.*` and
 * `photo.uploaded` both listen on `photo`'s and the matcher picks their events.
 */
export function shardOf(route: string): string {
  if (isInternalRoute(route)) return route;
  const dot = route.indexOf('.');
  return dot === -1 ? route : route.slice(0, dot);
}

/**
 * The first segment a pattern is bound to, or undefined when its first segment
 * is a wildcard (`**`, `*.uploaded`): such a pattern listens on every shard.
 */
export function shardOfPattern(pattern: string): string | undefined {
  const first = shardOf(pattern);
  return first.includes('*') ? undefined : first;
}

/**
 * Shard channel of a shard: `<prefix>{<shard>}`. The braces make the shard the
 * hash tag, the one the durable stream of the same segment has
 * (`<prefix>{photo}:stream`), so an event's `SPUBLISH` and its durable `XADD`
 * land on the same master. Event types have no braces, so no classic channel
 * name is ever a shard channel's.
 */
export const shardChannel = (prefix: string, shard: string): string =>
  `${prefix}{${shard}}`;

/** The shard of a shard channel under `prefix`, or undefined when it is not one. */
export function shardOfChannel(
  prefix: string,
  channel: string,
): string | undefined {
  if (
    !channel.startsWith(prefix) ||
    channel.charCodeAt(prefix.length) !== 0x7b ||
    channel.charCodeAt(channel.length - 1) !== 0x7d
  )
    return undefined;
  return channel.slice(prefix.length + 1, -1);
}

const TYPE_FIELD = '"type":"';
/** The envelope head is `{"id":"<id>","type":"` : the type starts within this many units. */
const TYPE_SEARCH_LIMIT = 200;

/**
 * The event type of one envelope on a shard channel, whose name gives only its
 * first segment. The bus writes `{"id":"…","type":"…",…}` (see EventCodec), and
 * types have no characters JSON escapes, so the type is read from the head
 * without parsing; another writer's key order costs one `JSON.parse`. Undefined
 * when there is none: the router then reports the message as malformed.
 */
export function typeOfEnvelope(payload: string): string | undefined {
  const at = payload.indexOf(TYPE_FIELD);
  if (at !== -1 && at < TYPE_SEARCH_LIMIT) {
    const start = at + TYPE_FIELD.length;
    const end = payload.indexOf('"', start);
    if (end !== -1) return payload.slice(start, end);
  }
  try {
    const type: unknown = (JSON.parse(payload) as { type?: unknown })?.type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

/** True when `type` belongs on `shard`'s channel: its first segment is the shard. */
export function typeIsOfShard(type: string, shard: string): boolean {
  return (
    type.startsWith(shard) &&
    (type.length === shard.length || type.charCodeAt(shard.length) === DOT)
  );
}
