import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { EventSchemas } from './event-schema.interface.js';
import type { RetryOptions } from './retry-options.interface.js';
import type { SchedulingModuleOptions } from './scheduling.interface.js';

/**
 * Redis connection settings of the `redis` transport.
 *
 * @publicApi
 */
export interface RedisTransportOptions {
  /**
   * `redis://[:password@]host:port[/db]` or `rediss://` for TLS.
   * Combined with `options` when both are given (`options` wins).
   */
  url?: string;
  /** ioredis options: `password`, `db`, `tls`, `username`, timeouts, … passed through. */
  options?: RedisOptions;
  /**
   * Redis Cluster instead of one Redis: the publisher and the subscriber each
   * become an ioredis `Cluster` started from `nodes` (a few masters suffice;
   * the rest are discovered). Fan-out uses plain PUBLISH / SUBSCRIBE /
   * PSUBSCRIBE, which Redis Cluster broadcasts to every node, so one
   * subscriber connection to any node hears every event. Node settings
   * (`password`, `tls`, timeouts, …) go in `options.redisOptions`; `url` and
   * `options` above must then be left out.
   *
   * While the whole cluster is unreachable, waiting publishes stay in the
   * `Cluster` offline queue until it is back: `maxBufferedPublishes` bounds
   * them, `maxRetriesPerRequest` does not apply.
   * @default undefined (one Redis, from `url` / `options`)
   * @example { nodes: [{ host: 'redis-1', port: 6379 }, { host: 'redis-2', port: 6379 }], options: { redisOptions: { password: 's3cret' } } }
   */
  cluster?: RedisClusterOptions;
  /**
   * Prefix of every channel, so that several apps can share one Redis.
   * @default 'eventbus:'
   */
  channelPrefix?: string;
  /**
   * Publishes allowed to wait while Redis is unreachable (each with all its
   * commands: PUBLISH, durable XADD, room history). Past it, or past
   * `maxBufferedBytes`, `publish()` rejects at once with
   * `EventBusUnavailableError` and sends nothing: safe to retry. Waiting
   * publishes are sent on reconnect, or rejected after `maxRetriesPerRequest`
   * reconnect attempts.
   * @default 1000
   */
  maxBufferedPublishes?: number;
  /**
   * Payload bytes allowed to wait while Redis is unreachable, over all
   * waiting publishes (see `maxBufferedPublishes`).
   * @default 33554432 (32 MB)
   */
  maxBufferedBytes?: number;
  /**
   * Reconnect attempts a waiting publish survives before it is rejected
   * (ioredis `maxRetriesPerRequest`). With the default backoff that is about 40 s.
   * @default 20
   */
  maxRetriesPerRequest?: number;
  /**
   * Skip the pub/sub PUBLISH of an event type nobody has listened to for a
   * second (PUBLISH reached no subscriber). Durable appends are unaffected. A
   * bus that subscribes announces it, and publishers resume at once; a foreign
   * subscriber (raw `PSUBSCRIBE`) is noticed by a probe PUBLISH every 250 ms.
   * Always off on Redis Cluster, where PUBLISH counts only one node's subscribers.
   * @default true
   */
  skipUnheardPublishes?: boolean;
  /**
   * Send the PUBLISHes of one event-loop tick as one `EVAL` of a short Lua
   * script that PUBLISHes them in order (at most 64 events or 256 KB each),
   * instead of one command each: the publisher spends about half the CPU per
   * event. Order, per-event results and errors are as with plain PUBLISH. A
   * Redis that refuses scripts (ACL without `EVAL`) is noticed on the first
   * batch, which is then sent as plain PUBLISHes, as is everything after it.
   * Always off on Redis Cluster.
   * @default true
   */
  batchPublishes?: boolean;
  /**
   * Carry many events in one pub/sub message (a frame) instead of one
   * `PUBLISH` each: for deployments whose every subscriber is an event bus.
   * The events published on one channel within a short deadline go out as one
   * `PUBLISH` of their envelopes, each behind the byte 0x1E (ASCII record
   * separator, as in RFC 7464 JSON text sequences), flushed by count, by size
   * and at the deadline; a lone event goes out as the plain envelope.
   * Every bus reads frames whatever this option says (so publishers can turn it
   * on during a rolling upgrade), but a foreign subscriber (`redis-cli
   * SUBSCRIBE`, a raw client) cannot read a framed channel. Each event keeps
   * its guarantees: order per publisher and type, `seq` gap counting, one
   * outage-buffer admission, a `publish()` that resolves when Redis accepted its
   * frame (and rejects with all the frame's events otherwise). Events of
   * different types published within one deadline may reach a handler of both
   * grouped by type. `true` takes the defaults below; replaces `batchPublishes`
   * for the events it frames.
   * @default false
   * @example { maxEvents: 256, maxBytes: 65536, maxDelayMs: 0 }
   */
  frames?: boolean | RedisFramesOptions;
}

/**
 * Limits of a frame (`redis.frames`): a frame is sent when the next event would
 * pass `maxEvents` or `maxBytes`, and at the latest `maxDelayMs` after its first event.
 *
 * @publicApi
 */
export interface RedisFramesOptions {
  /**
   * Events per frame at most (1 to 10,000).
   * @default 256
   */
  maxEvents?: number;
  /**
   * Bytes per frame at most, markers included (1,024 to 8,388,608, Redis'
   * default soft output limit for a pub/sub client). A larger event goes alone.
   * @default 65536
   */
  maxBytes?: number;
  /**
   * Longest an event waits for its frame to fill, in ms (0 to 100). `0` sends
   * the frame at the end of the event-loop tick (after the microtasks of the
   * publish), which adds no measurable latency; more makes larger frames at low
   * rates for the cost of that much latency.
   * @default 0
   */
  maxDelayMs?: number;
}

/**
 * Redis Cluster settings of the `redis` transport (`redis.cluster`).
 *
 * @publicApi
 */
export interface RedisClusterOptions {
  /**
   * Startup nodes: at least one reachable master or replica.
   * @example [{ host: '127.0.0.1', port: 7000 }, { host: '127.0.0.1', port: 7001 }]
   */
  nodes: Array<{ host: string; port: number }>;
  /**
   * ioredis `ClusterOptions`, passed through (`redisOptions` for every node
   * connection, `natMap`, `scaleReads`, …). The bus always sets `lazyConnect`
   * (it connects on application start), `redisOptions.lazyConnect: false` (so
   * that losing every node is noticed at once) and auto-pipelining on the
   * publisher; it defaults `clusterRetryStrategy` to its own backoff and
   * `slotsRefreshInterval` to 5000 ms.
   * @default {}
   */
  options?: ClusterOptions;
  /**
   * Fan-out over Redis 7 sharded pub/sub: each event is `SPUBLISH`ed on the
   * shard channel of its type's first segment (`<prefix>{photo}`), which only
   * the master owning that slot carries, so masters add fan-out throughput;
   * the gateway's socket.io adapter becomes the sharded one. Every instance of
   * every service on the cluster must use the same setting: a classic
   * publisher and a sharded subscriber do not hear each other. To switch a
   * running system, deploy `'listen-both'` everywhere (publishes classic,
   * listens on both), then `'publish-sharded'` (publishes sharded, listens on
   * both), then `true`. Needs Redis 7 and ioredis' `shardedSubscribers`
   * (ioredis 5.8.1+ or 6).
   * @default false
   */
  shardedPubSub?: boolean | 'listen-both' | 'publish-sharded';
}

/**
 * Size and nesting limits checked on publish and on receive.
 *
 * @publicApi
 */
export interface EventLimits {
  /**
   * Largest serialized envelope, in bytes.
   * @default 1048576 (1 MB)
   */
  maxEventBytes?: number;
  /**
   * Largest serialized `data`, in bytes.
   * @default 524288 (512 KB)
   */
  maxDataBytes?: number;
  /**
   * Deepest nesting of objects and arrays in `data`: `{ a: 1 }` is 1 level, `{ a: [1] }` 2, a
   * string or number 0. On publish, deeper data is refused with `EventValidationError`
   * (field `data`). On receive, the whole envelope may be one level deeper (data sits in it);
   * a deeper message is dropped as malformed, before any handler or JSON consumer sees it.
   * A whole number from 1 to 1000.
   * @default 64
   */
  maxDepth?: number;
}

/**
 * Handler settings used when a handler does not set its own.
 *
 * @publicApi
 */
export interface HandlerDefaults {
  /** @default 30000 */
  timeout?: number;
  /** @default 100 */
  concurrency?: number;
  /** @default 10000 */
  maxQueued?: number;
}

/**
 * Durable delivery settings (Redis Streams, or the memory store).
 *
 * @publicApi
 */
export interface DurableModuleOptions {
  /**
   * How streams are trimmed on every append. `maxlen`: keep about `maxLength`
   * entries per stream; `minid`: keep entries younger than `maxAgeMs`. Trimming
   * is approximate (`~`) and never waits for consumers: size it above your backlog.
   * @default { strategy: 'maxlen', maxLength: 100000 }
   */
  trim?:
    | { strategy: 'maxlen'; maxLength: number }
    | { strategy: 'minid'; maxAgeMs: number };
  /**
   * Idle time after which an unacknowledged entry is taken over by another consumer.
   * @default 30000
   */
  claimIdleMs?: number;
  /**
   * How often each consumer looks for idle entries.
   * @default 5000
   */
  claimIntervalMs?: number;
  /**
   * XREADGROUP BLOCK time in ms.
   * @default 2000
   */
  blockMs?: number;
  /**
   * Largest XREADGROUP COUNT (also bounded by the handler's free concurrency slots).
   * @default 50
   */
  batchSize?: number;
  /**
   * Deliveries without an acknowledgement (a handler crashing its process, say)
   * after which an entry goes to the dead letters without running again.
   * @default 5
   */
  maxDeliveries?: number;
  /**
   * Dead letters kept per stream (oldest dropped first).
   * @default 10000
   */
  deadLetterMaxLength?: number;
  /**
   * A consumer idle this long (`idle` of XINFO CONSUMERS) with nothing pending is removed from its
   * group by the live consumers, so that those of stopped or crashed processes do not pile up.
   * At least 1000, and at least twice `blockMs` (a live consumer blocks that long per read). One
   * with pending entries stays until they are taken over (`claimIdleMs`). Before Redis 7.2, `idle`
   * counts only reads that got entries: a live consumer quiet this long is removed too, and Redis
   * adds it back with its next entry.
   * @default 600000
   */
  consumerIdleTimeoutMs?: number;
}

/**
 * The subset of a prom-client `Registry` the bus uses, typed here so that the
 * library's types do not require prom-client.
 *
 * @publicApi
 */
export interface MetricsRegistry {
  registerMetric(metric: unknown): void;
  removeSingleMetric(name: string): void;
  getSingleMetric(name: string): unknown;
}

/**
 * Prometheus metrics (prom-client, an optional peer dependency: `npm i prom-client@^15`).
 *
 * Counters by event type: published, delivered, failed, retried, dead-lettered,
 * malformed; a handler duration histogram; gauges read on scrape: handlers in
 * flight, subscriptions, transport connected, durable pending and lag per group,
 * dead letters; and transport reconnects. They are fed by the same calls as
 * `getStats()`, so both always agree.
 *
 * @publicApi
 */
export interface MetricsModuleOptions {
  /**
   * Register the metrics. Off, the bus neither loads prom-client nor counts by type.
   * @default false
   */
  enabled?: boolean;
  /**
   * Prefix of every metric name.
   * @default 'eventbus_'
   */
  prefix?: string;
  /**
   * The `type` label is the first N segments of the event type, so that types
   * carrying ids (`order.42.paid`) do not make a series each:
   * `photo.processing.progress` → `photo.processing` with 2.
   * @default 2
   */
  typeSegments?: number;
  /**
   * Patterns whose events get their own `type` label (the pattern itself, e.g.
   * `photo.*`); every other type is counted under `_other`. Replaces `typeSegments`.
   * @default undefined (labels from typeSegments)
   * @example ['photo.uploaded', 'photo.processing.*', 'notification.*']
   */
  typeAllowlist?: string[];
  /**
   * Most distinct `type` labels; events of further labels are counted under `_other`.
   * @default 100
   */
  maxTypeLabels?: number;
  /**
   * Upper bounds of the handler duration histogram, in seconds.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
   */
  durationBuckets?: number[];
  /**
   * The prom-client registry to register in. Give each bus its own registry (or
   * prefix) when a process runs several.
   * @default prom-client's global `register`
   */
  registry?: MetricsRegistry;
}

/**
 * Options of `EventBusModule.forRoot()` / `forRootAsync()`.
 *
 * @publicApi
 */
export interface EventBusModuleOptions {
  /** Name written to `metadata.source` of every event this service publishes. */
  serviceName: string;
  /**
   * `'memory'`: in-process, for tests and single-process apps. `'redis'`: across processes.
   * @default 'memory'
   */
  transport?: 'memory' | 'redis';
  /** Required when `transport` is `'redis'`. */
  redis?: RedisTransportOptions;
  limits?: EventLimits;
  /** Default retry policy of every handler. */
  retry?: Partial<RetryOptions>;
  handlerDefaults?: HandlerDefaults;
  /** Durable delivery settings. */
  durable?: DurableModuleOptions;
  /**
   * A schema per event type, checked on every publish of the type (gateway client
   * events included): a class-validator DTO class, or any Standard Schema v1 object
   * (zod, valibot, arktype…). A DTO checks the data, which is published as given; a
   * Standard Schema's output (defaults, coercions, transforms, stripped keys) is what
   * gets published. Anything else is refused at start. More can be added with
   * `EventValidator.register()`; `InferEvents<typeof schemas>` types `EventMap` from them.
   * @default {}
   * @example { 'photo.uploaded': PhotoUploadedDto, 'order.created': z.object({ orderId: z.string() }) }
   */
  schemas?: EventSchemas;
  /**
   * Lowest level the bus logs at. `'info'` (the seeds' name) is an alias of `'log'`;
   * any other value is refused at start.
   * @default 'log'
   */
  logLevel?: 'debug' | 'log' | 'info' | 'warn' | 'error';
  /**
   * How long shutdown waits for running handlers, in ms.
   * @default 10000
   */
  shutdownTimeout?: number;
  /**
   * Prometheus metrics through prom-client.
   * @default { enabled: false }
   * @example { enabled: true, prefix: 'eventbus_', typeSegments: 2 }
   */
  metrics?: MetricsModuleOptions;
  /**
   * History of the events published to rooms (`publishToRoom`, `publishToUser`
   * into `user:{id}`, `broadcast` into `global`), kept so that a socket that
   * reconnects with the id of the last event it saw gets the ones it missed.
   * The publisher writes it next to the publish (one extra command in the same
   * round trip). `false` turns it off.
   * @default { maxLength: 100, maxAgeMs: 300000 }
   */
  roomHistory?: RoomHistoryOptions | false;
  /**
   * Delayed publishes (`publish(type, data, { delay | at })`) and schedules
   * (`schedule()`): how often due entries are moved, and the lease.
   * @default { pollIntervalMs: 1000, leaseMs: 5000, batchSize: 100, mover: true }
   */
  scheduling?: SchedulingModuleOptions;
}

/**
 * Limits of the per-room history (`roomHistory`).
 *
 * @publicApi
 */
export interface RoomHistoryOptions {
  /**
   * Events kept per room; older ones are trimmed.
   * @default 100
   */
  maxLength?: number;
  /**
   * How long an event stays recoverable, in ms.
   * @default 300000 (5 minutes)
   */
  maxAgeMs?: number;
}
