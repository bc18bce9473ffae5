import { InvalidConfigurationError } from './errors/invalid-configuration.error.js';
import { messages } from './event-bus.messages.js';
import {
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_DATA_BYTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_EVENT_BYTES,
  MAX_DEPTH_CEILING,
} from './event-bus.constants.js';
import type {
  EventBusModuleOptions,
  MetricsRegistry,
  RedisTransportOptions,
} from './interfaces/event-bus-options.interface.js';
import { isValidPattern } from './matching/pattern-matcher.js';
import type { RetryOptions } from './interfaces/retry-options.interface.js';
import type { EventSchemas } from './interfaces/event-schema.interface.js';
import { DEFAULT_RETRY, resolveRetry } from './delivery/retry-policy.js';
import type { TrimPolicy } from './durable/stream-store.interface.js';
import type { ResolvedRoomHistoryOptions } from './rooms/room-history.interface.js';
import {
  resolveScheduling,
  type ResolvedSchedulingOptions,
} from './scheduling/scheduling-options.js';
import {
  checkModuleOptions,
  resolveLogLevel,
} from './validation/module-options.util.js';

/** Injection token of the resolved configuration (internal). */
export const EVENT_BUS_CONFIG = 'event-bus:config';

/** Durable options with defaults applied. */
export interface ResolvedDurableOptions {
  trim: TrimPolicy;
  claimIdleMs: number;
  claimIntervalMs: number;
  blockMs: number;
  batchSize: number;
  maxDeliveries: number;
  deadLetterMaxLength: number;
  consumerIdleTimeoutMs: number;
}

/** `redis.frames` with defaults applied (see `RedisFramesOptions`). */
export interface ResolvedFramesOptions {
  maxEvents: number;
  maxBytes: number;
  maxDelayMs: number;
}

/** Defaults of `redis.frames: true` (see `RedisFramesOptions`). */
export const DEFAULT_FRAMES: ResolvedFramesOptions = {
  maxEvents: 256,
  maxBytes: 64 * 1024,
  maxDelayMs: 0,
};

/** Metrics options with defaults applied. */
export interface ResolvedMetricsOptions {
  enabled: boolean;
  prefix: string;
  typeSegments: number;
  typeAllowlist?: string[];
  maxTypeLabels: number;
  durationBuckets: number[];
  /** Undefined: prom-client's global registry. */
  registry?: MetricsRegistry;
}

/** Module options with every default applied and every value checked. */
export interface EventBusConfig {
  serviceName: string;
  transport: 'memory' | 'redis';
  redis?: Required<
    Pick<
      RedisTransportOptions,
      | 'channelPrefix'
      | 'maxBufferedPublishes'
      | 'maxBufferedBytes'
      | 'maxRetriesPerRequest'
      | 'skipUnheardPublishes'
      | 'batchPublishes'
    >
  > &
    Omit<RedisTransportOptions, 'frames'> & {
      /** false: one message per event (the default). */
      frames: ResolvedFramesOptions | false;
    };
  limits: { maxEventBytes: number; maxDataBytes: number; maxDepth: number };
  retry: RetryOptions;
  handlerDefaults: { timeout: number; concurrency: number; maxQueued: number };
  schemas: EventSchemas;
  durable: ResolvedDurableOptions;
  logLevel: 'debug' | 'log' | 'warn' | 'error';
  shutdownTimeout: number;
  metrics: ResolvedMetricsOptions;
  roomHistory: ResolvedRoomHistoryOptions;
  scheduling: ResolvedSchedulingOptions;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidConfigurationError(
      `Option "${name}" is ${JSON.stringify(value)}: it must be a finite number >= 0.`,
    );
  }
  return value;
}

function depthLimit(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_DEPTH_CEILING) {
    throw new InvalidConfigurationError(
      messages.invalidMaxDepth(value, MAX_DEPTH_CEILING),
    );
  }
  return value;
}

/** Applies defaults to the user's options; throws `InvalidConfigurationError` on bad values. */
export function resolveConfig(options: EventBusModuleOptions): EventBusConfig {
  checkModuleOptions(options);
  if (
    !options ||
    typeof options.serviceName !== 'string' ||
    options.serviceName.length === 0
  ) {
    throw new InvalidConfigurationError(
      'Option "serviceName" is required: EventBusModule.forRoot({ serviceName: "photo-service" }). It becomes metadata.source of every event.',
    );
  }
  const transport = options.transport ?? 'memory';
  if (transport !== 'memory' && transport !== 'redis') {
    throw new InvalidConfigurationError(messages.unknownTransport(transport));
  }
  if (
    transport === 'redis' &&
    !options.redis?.url &&
    !options.redis?.options &&
    !options.redis?.cluster
  ) {
    throw new InvalidConfigurationError(
      `${messages.missingRedisOptions()} For Redis Cluster give redis.cluster instead: { nodes: [{ host: 'localhost', port: 7000 }] }.`,
    );
  }
  if (options.redis?.cluster) checkCluster(options.redis);
  const limits = {
    maxEventBytes: positive(
      'limits.maxEventBytes',
      options.limits?.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
    ),
    maxDataBytes: positive(
      'limits.maxDataBytes',
      options.limits?.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES,
    ),
    maxDepth: depthLimit(options.limits?.maxDepth ?? DEFAULT_MAX_DEPTH),
  };
  const defaults = options.handlerDefaults ?? {};
  return {
    serviceName: options.serviceName,
    transport,
    redis: options.redis
      ? {
          ...options.redis,
          channelPrefix: options.redis.channelPrefix ?? 'eventbus:',
          maxBufferedPublishes: positive(
            'redis.maxBufferedPublishes',
            options.redis.maxBufferedPublishes ?? 1000,
          ),
          maxBufferedBytes: positive(
            'redis.maxBufferedBytes',
            options.redis.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
          ),
          maxRetriesPerRequest: positive(
            'redis.maxRetriesPerRequest',
            options.redis.maxRetriesPerRequest ?? 20,
          ),
          skipUnheardPublishes: options.redis.skipUnheardPublishes ?? true,
          batchPublishes: options.redis.batchPublishes ?? true,
          frames: resolveFrames(options.redis.frames),
        }
      : undefined,
    limits,
    retry: resolveRetry(DEFAULT_RETRY, options.retry),
    handlerDefaults: {
      timeout: positive('handlerDefaults.timeout', defaults.timeout ?? 30_000),
      concurrency: Math.max(
        1,
        positive('handlerDefaults.concurrency', defaults.concurrency ?? 100),
      ),
      maxQueued: positive(
        'handlerDefaults.maxQueued',
        defaults.maxQueued ?? 10_000,
      ),
    },
    schemas: options.schemas ?? {},
    durable: resolveDurable(options.durable ?? {}),
    logLevel: resolveLogLevel(options.logLevel),
    shutdownTimeout: positive(
      'shutdownTimeout',
      options.shutdownTimeout ?? 10_000,
    ),
    metrics: resolveMetrics(options.metrics ?? {}),
    roomHistory: resolveRoomHistory(options.roomHistory),
    scheduling: resolveScheduling(options.scheduling),
  };
}

/** Ranges are checked by `checkModuleOptions`; here the defaults fill what was left out. */
function resolveFrames(
  frames: RedisTransportOptions['frames'],
): ResolvedFramesOptions | false {
  if (frames === undefined || frames === false) return false;
  if (frames === true) return { ...DEFAULT_FRAMES };
  return {
    maxEvents: frames.maxEvents ?? DEFAULT_FRAMES.maxEvents,
    maxBytes: frames.maxBytes ?? DEFAULT_FRAMES.maxBytes,
    maxDelayMs: frames.maxDelayMs ?? DEFAULT_FRAMES.maxDelayMs,
  };
}

function resolveRoomHistory(
  options: EventBusModuleOptions['roomHistory'],
): ResolvedRoomHistoryOptions {
  if (options === false) return { enabled: false, maxLength: 0, maxAgeMs: 0 };
  return {
    enabled: true,
    maxLength: Math.max(
      1,
      Math.floor(positive('roomHistory.maxLength', options?.maxLength ?? 100)),
    ),
    maxAgeMs: Math.max(
      1000,
      positive('roomHistory.maxAgeMs', options?.maxAgeMs ?? 300_000),
    ),
  };
}

function checkCluster(redis: RedisTransportOptions): void {
  const { cluster } = redis;
  if (redis.url !== undefined || redis.options !== undefined) {
    // NOTE: one Redis and a cluster at once is ambiguous; which nodes get `options`
    // would be a guess, so the user says it in cluster.options.redisOptions.
    throw new InvalidConfigurationError(
      'Options "redis.cluster" and "redis.url" / "redis.options" were both given: use one. For Redis Cluster put node settings (password, tls, timeouts) in redis.cluster.options.redisOptions.',
    );
  }
  const nodes: unknown = cluster?.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new InvalidConfigurationError(
      `Option "redis.cluster.nodes" is ${JSON.stringify(nodes)}: give at least one node, e.g. [{ host: 'localhost', port: 7000 }].`,
    );
  }
  nodes.forEach((node: { host?: unknown; port?: unknown } | null, i) => {
    const port = node?.port;
    if (
      typeof node?.host !== 'string' ||
      node.host.length === 0 ||
      !Number.isInteger(port) ||
      (port as number) < 1 ||
      (port as number) > 65535
    ) {
      throw new InvalidConfigurationError(
        `Option "redis.cluster.nodes[${i}]" is ${JSON.stringify(node)}: each node needs a host (string) and a port (1-65535), e.g. { host: 'localhost', port: 7000 }.`,
      );
    }
  });
}

function resolveDurable(
  options: NonNullable<EventBusModuleOptions['durable']>,
): ResolvedDurableOptions {
  const trim = options.trim ?? {
    strategy: 'maxlen' as const,
    maxLength: 100_000,
  };
  if (trim.strategy === 'maxlen')
    positive('durable.trim.maxLength', trim.maxLength);
  else if (trim.strategy === 'minid')
    positive('durable.trim.maxAgeMs', trim.maxAgeMs);
  else {
    throw new InvalidConfigurationError(
      `Option "durable.trim.strategy" is ${JSON.stringify((trim as { strategy: unknown }).strategy)}: use 'maxlen' or 'minid'.`,
    );
  }
  return {
    trim,
    claimIdleMs: Math.max(
      30,
      positive('durable.claimIdleMs', options.claimIdleMs ?? 30_000),
    ),
    claimIntervalMs: Math.max(
      10,
      positive('durable.claimIntervalMs', options.claimIntervalMs ?? 5000),
    ),
    blockMs: Math.max(1, positive('durable.blockMs', options.blockMs ?? 2000)),
    batchSize: Math.max(
      1,
      positive('durable.batchSize', options.batchSize ?? 50),
    ),
    maxDeliveries: Math.max(
      1,
      positive('durable.maxDeliveries', options.maxDeliveries ?? 5),
    ),
    deadLetterMaxLength: Math.max(
      1,
      positive(
        'durable.deadLetterMaxLength',
        options.deadLetterMaxLength ?? 10_000,
      ),
    ),
    consumerIdleTimeoutMs: Math.max(
      1000,
      positive(
        'durable.consumerIdleTimeoutMs',
        options.consumerIdleTimeoutMs ?? 600_000,
      ),
    ),
  };
}

const DEFAULT_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

function resolveMetrics(
  options: NonNullable<EventBusModuleOptions['metrics']>,
): ResolvedMetricsOptions {
  const prefix = options.prefix ?? 'eventbus_';
  if (!/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    throw new InvalidConfigurationError(
      `Option "metrics.prefix" is ${JSON.stringify(prefix)}: Prometheus names take letters, digits, "_" and ":" and do not start with a digit, e.g. 'eventbus_'.`,
    );
  }
  const typeSegments = options.typeSegments ?? 2;
  if (!Number.isInteger(typeSegments) || typeSegments < 1) {
    throw new InvalidConfigurationError(
      `Option "metrics.typeSegments" is ${JSON.stringify(typeSegments)}: give a whole number >= 1 (2 makes photo.processing.progress count as photo.processing).`,
    );
  }
  const allowlist = options.typeAllowlist;
  if (
    allowlist !== undefined &&
    (!Array.isArray(allowlist) || !allowlist.every(isValidPattern))
  ) {
    throw new InvalidConfigurationError(
      `Option "metrics.typeAllowlist" is ${JSON.stringify(allowlist)}: give an array of event patterns, e.g. ['photo.uploaded', 'photo.processing.*'].`,
    );
  }
  const buckets = options.durationBuckets ?? DEFAULT_DURATION_BUCKETS;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some(
      (b, i) =>
        !(b > 0) || !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]),
    )
  ) {
    throw new InvalidConfigurationError(
      `Option "metrics.durationBuckets" is ${JSON.stringify(buckets)}: give increasing positive numbers of seconds, e.g. [0.01, 0.1, 1, 10].`,
    );
  }
  return {
    enabled: options.enabled ?? false,
    prefix,
    typeSegments,
    ...(allowlist ? { typeAllowlist: [...allowlist] } : {}),
    maxTypeLabels: Math.max(
      1,
      positive('metrics.maxTypeLabels', options.maxTypeLabels ?? 100),
    ),
    durationBuckets: [...buckets],
    ...(options.registry ? { registry: options.registry } : {}),
  };
}
