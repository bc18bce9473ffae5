import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { messages } from '../event-bus.messages.js';
import type {
  DurableModuleOptions,
  EventBusModuleOptions,
  EventLimits,
  HandlerDefaults,
  MetricsModuleOptions,
  RedisClusterOptions,
  RedisFramesOptions,
  RedisTransportOptions,
  RoomHistoryOptions,
} from '../interfaces/event-bus-options.interface.js';
import { compileEventSchema } from './event-schema.util.js';
import {
  checkRetryOptions,
  HOISTED_RETRY_ALIASES,
} from './handler-options.util.js';
import {
  assertIntegerIn,
  assertKnownKeys,
  assertOneOf,
  assertTypeOf,
  isOptionsObject,
  optionKeys,
  optionLabel,
  type OptionAlias,
  type OptionAliases,
} from './option-keys.util.js';

const OWNER = 'EventBusModule';

/** `redis.cluster.shardedPubSub` values besides true and false: the rolling-upgrade steps. */
const SHARDED_UPGRADE_STEPS = ['listen-both', 'publish-sharded'] as const;

/** `logLevel` values; `'info'` is the seeds' name of `'log'`. */
export const LOG_LEVELS = ['debug', 'log', 'info', 'warn', 'error'] as const;

const ROOT_KEYS = optionKeys<EventBusModuleOptions>({
  serviceName: true,
  transport: true,
  redis: true,
  limits: true,
  retry: true,
  handlerDefaults: true,
  durable: true,
  schemas: true,
  logLevel: true,
  shutdownTimeout: true,
  metrics: true,
  roomHistory: true,
  scheduling: true,
});
const REDIS_KEYS = optionKeys<RedisTransportOptions>({
  url: true,
  options: true,
  cluster: true,
  channelPrefix: true,
  maxBufferedPublishes: true,
  maxBufferedBytes: true,
  maxRetriesPerRequest: true,
  skipUnheardPublishes: true,
  batchPublishes: true,
  frames: true,
});
const FRAMES_KEYS = optionKeys<RedisFramesOptions>({
  maxEvents: true,
  maxBytes: true,
  maxDelayMs: true,
});
/** Ranges of `redis.frames`: integers, bytes up to Redis' default pub/sub soft output limit (8 MB). */
const FRAMES_RANGES: Record<keyof RedisFramesOptions, [number, number]> = {
  maxEvents: [1, 10_000],
  maxBytes: [1024, 8 * 1024 * 1024],
  maxDelayMs: [0, 100],
};
const CLUSTER_KEYS = optionKeys<RedisClusterOptions>({
  nodes: true,
  options: true,
  shardedPubSub: true,
});
const LIMITS_KEYS = optionKeys<EventLimits>({
  maxEventBytes: true,
  maxDataBytes: true,
  maxDepth: true,
});
const HANDLER_DEFAULTS_KEYS = optionKeys<HandlerDefaults>({
  timeout: true,
  concurrency: true,
  maxQueued: true,
});
const DURABLE_KEYS = optionKeys<DurableModuleOptions>({
  trim: true,
  claimIdleMs: true,
  claimIntervalMs: true,
  blockMs: true,
  batchSize: true,
  maxDeliveries: true,
  deadLetterMaxLength: true,
  consumerIdleTimeoutMs: true,
});
const METRICS_KEYS = optionKeys<MetricsModuleOptions>({
  enabled: true,
  prefix: true,
  typeSegments: true,
  typeAllowlist: true,
  maxTypeLabels: true,
  durationBuckets: true,
  registry: true,
});
const ROOM_HISTORY_KEYS = optionKeys<RoomHistoryOptions>({
  maxLength: true,
  maxAgeMs: true,
});

/** ioredis settings the seeds put straight in `redis` (`{ host, port, password, keyPrefix }`). */
const IOREDIS_FIELDS = [
  'host',
  'port',
  'password',
  'username',
  'db',
  'tls',
  'family',
  'connectTimeout',
  'commandTimeout',
  'keepAlive',
  'enableReadyCheck',
  'enableOfflineQueue',
  'retryDelayOnFailover',
  'retryStrategy',
  'sentinels',
  'name',
  'connectionName',
  'lazyConnect',
];
const CLUSTER_FIELDS = [
  'redisOptions',
  'natMap',
  'scaleReads',
  'slotsRefreshInterval',
  'clusterRetryStrategy',
  'enableReadyCheck',
];

const ASYNC_NOTE =
  'is an option of forRootAsync({ imports, inject, useFactory | useClass | useExisting }), not of the options themselves.';
const PERFORMANCE_NOTE =
  'There is no performance block: the PUBLISHes of one tick are batched on their own (redis.batchPublishes), and retries are set in retry.';

/** Names from the seed documents and other libraries, by full path, for the messages. */
const MODULE_ALIASES: OptionAliases = {
  ...HOISTED_RETRY_ALIASES,
  ...Object.fromEntries(
    HANDLER_DEFAULTS_KEYS.map(key => [key, `handlerDefaults.${key}`]),
  ),
  ...Object.fromEntries(LIMITS_KEYS.map(key => [key, `limits.${key}`])),
  ...Object.fromEntries(
    [
      'isGlobal',
      'imports',
      'inject',
      'useFactory',
      'useClass',
      'useExisting',
    ].map(key => [key, { note: `"${key}" ${ASYNC_NOTE}` }]),
  ),
  ...Object.fromEntries(
    IOREDIS_FIELDS.map(key => [
      `redis.${key}`,
      {
        key: `redis.options.${key}`,
        note: 'ioredis settings go in redis.options (or in redis.url).',
      },
    ]),
  ),
  ...Object.fromEntries(
    CLUSTER_FIELDS.map(key => [
      `redis.cluster.${key}`,
      `redis.cluster.options.${key}`,
    ]),
  ),
  service: 'serviceName',
  name: 'serviceName',
  url: 'redis.url',
  redisUrl: 'redis.url',
  channelPrefix: 'redis.channelPrefix',
  keyPrefix: 'redis.channelPrefix',
  cluster: 'redis.cluster',
  host: {
    key: 'redis.url',
    note: "Give redis: { url: 'redis://host:6379' } (or redis.options: { host, port }).",
  },
  port: {
    key: 'redis.url',
    note: "Give redis: { url: 'redis://host:6379' } (or redis.options: { host, port }).",
  },
  client: {
    note: 'Clients (browsers, Node) are not configured here: they connect with connect({ url, token }) from @shared-infra/event-bus-client, through EventBusGatewayModule.',
  },
  performance: { note: PERFORMANCE_NOTE },
  'performance.maxRetries': 'retry.maxRetries',
  'performance.retryDelay': 'retry.initialDelay',
  'redis.keyPrefix': 'redis.channelPrefix',
  'redis.prefix': 'redis.channelPrefix',
  'redis.nodes': 'redis.cluster.nodes',
  'redis.frame': 'redis.frames',
  'redis.framing': 'redis.frames',
  'redis.frames.maxSize': 'redis.frames.maxBytes',
  'redis.frames.maxCount': 'redis.frames.maxEvents',
  'redis.frames.maxDelay': 'redis.frames.maxDelayMs',
  'redis.frames.delayMs': 'redis.frames.maxDelayMs',
  'handlerDefaults.retry': {
    key: 'retry',
    note: 'The default retry policy of handlers is the module option retry.',
  },
  ...Object.fromEntries(
    Object.entries(HOISTED_RETRY_ALIASES).map(([key, alias]) => [
      `handlerDefaults.${key}`,
      alias,
    ]),
  ),
  'limits.maxEventSize': 'limits.maxEventBytes',
  'limits.maxDataSize': 'limits.maxDataBytes',
  'durable.maxLength': {
    key: 'durable.trim',
    note: "Give trim: { strategy: 'maxlen', maxLength }.",
  },
  'durable.maxAgeMs': {
    key: 'durable.trim',
    note: "Give trim: { strategy: 'minid', maxAgeMs }.",
  },
  'durable.count': 'durable.batchSize',
  'metrics.buckets': 'metrics.durationBuckets',
  'roomHistory.ttl': 'roomHistory.maxAgeMs',
  'roomHistory.ttlMs': 'roomHistory.maxAgeMs',
  'roomHistory.size': 'roomHistory.maxLength',
  'roomHistory.maxSize': 'roomHistory.maxLength',
};

const TRIM_KEYS: Record<
  string,
  { keys: readonly string[]; aliases: Record<string, OptionAlias> }
> = {
  maxlen: {
    keys: ['strategy', 'maxLength'],
    aliases: {
      'durable.trim.maxLen': 'durable.trim.maxLength',
      'durable.trim.maxAgeMs': { note: "maxAgeMs goes with strategy 'minid'." },
    },
  },
  minid: {
    keys: ['strategy', 'maxAgeMs'],
    aliases: {
      'durable.trim.maxLength': {
        note: "maxLength goes with strategy 'maxlen'.",
      },
    },
  },
};

function checkRedis(redis: RedisTransportOptions | undefined): void {
  assertKnownKeys('redis', redis, REDIS_KEYS, MODULE_ALIASES, OWNER);
  if (!redis) return;
  assertTypeOf('redis.url', redis.url, 'string', OWNER);
  assertTypeOf('redis.channelPrefix', redis.channelPrefix, 'string', OWNER);
  assertTypeOf(
    'redis.skipUnheardPublishes',
    redis.skipUnheardPublishes,
    'boolean',
    OWNER,
  );
  assertTypeOf('redis.batchPublishes', redis.batchPublishes, 'boolean', OWNER);
  // NOTE: redis.options and redis.cluster.options are ioredis' own: passed through, not checked.
  if (redis.options !== undefined && !isOptionsObject(redis.options)) {
    throw new InvalidConfigurationError(
      messages.invalidOptionType(
        optionLabel('redis.options', OWNER),
        redis.options,
        'an object of ioredis options',
      ),
    );
  }
  checkFrames(redis.frames);
  assertKnownKeys(
    'redis.cluster',
    redis.cluster,
    CLUSTER_KEYS,
    MODULE_ALIASES,
    OWNER,
  );
  const sharded = redis.cluster?.shardedPubSub;
  if (typeof sharded === 'string')
    assertOneOf(
      'redis.cluster.shardedPubSub',
      sharded,
      SHARDED_UPGRADE_STEPS,
      OWNER,
    );
  else if (sharded !== undefined && typeof sharded !== 'boolean')
    throw new InvalidConfigurationError(
      messages.invalidOptionType(
        optionLabel('redis.cluster.shardedPubSub', OWNER),
        sharded,
        "true, false, 'listen-both' or 'publish-sharded'",
      ),
    );
}

function checkFrames(frames: unknown): void {
  if (frames === undefined || typeof frames === 'boolean') return;
  if (!isOptionsObject(frames)) {
    throw new InvalidConfigurationError(
      messages.invalidOptionType(
        optionLabel('redis.frames', OWNER),
        frames,
        'true, false or { maxEvents, maxBytes, maxDelayMs }',
      ),
    );
  }
  assertKnownKeys('redis.frames', frames, FRAMES_KEYS, MODULE_ALIASES, OWNER);
  for (const key of FRAMES_KEYS as Array<keyof RedisFramesOptions>) {
    const [min, max] = FRAMES_RANGES[key];
    assertIntegerIn(`redis.frames.${key}`, frames[key], min, max, OWNER);
  }
}

function checkDurable(durable: DurableModuleOptions | undefined): void {
  assertKnownKeys('durable', durable, DURABLE_KEYS, MODULE_ALIASES, OWNER);
  const trim: unknown = durable?.trim;
  if (trim === undefined) return;
  if (!isOptionsObject(trim)) {
    throw new InvalidConfigurationError(
      messages.invalidOptionType(
        optionLabel('durable.trim', OWNER),
        trim,
        "{ strategy: 'maxlen', maxLength } or { strategy: 'minid', maxAgeMs }",
      ),
    );
  }
  const strategy = assertOneOf(
    'durable.trim.strategy',
    trim.strategy,
    ['maxlen', 'minid'],
    OWNER,
  );
  assertKnownKeys(
    'durable.trim',
    trim,
    TRIM_KEYS[strategy].keys,
    TRIM_KEYS[strategy].aliases,
    OWNER,
  );
}

function checkSchemas(schemas: unknown): void {
  if (schemas === undefined) return;
  if (!isOptionsObject(schemas)) {
    throw new InvalidConfigurationError(
      messages.invalidOptionType(
        optionLabel('schemas', OWNER),
        schemas,
        "an object of schemas by event type (class-validator DTO classes or Standard Schemas such as zod's), e.g. { 'photo.uploaded': PhotoUploadedDto }",
      ),
    );
  }
  for (const [type, schema] of Object.entries(schemas)) {
    const compiled = compileEventSchema(schema);
    if (compiled.kind === 'invalid') {
      throw new InvalidConfigurationError(
        messages.invalidOptionType(
          optionLabel(`schemas['${type}']`, OWNER),
          schema,
          compiled.expected,
        ),
      );
    }
  }
}

/**
 * Refuses module options the bus would not read: unknown keys at any level
 * (with the real key when one is near or the seeds name it differently) and
 * values of the wrong kind that the resolver does not check itself. Runs in the
 * resolver, so options from a `forRootAsync` factory are checked too.
 *
 * @param options `forRoot` / `forRootAsync` options as given
 * @throws InvalidConfigurationError naming the option by its full path
 *
 * @example checkModuleOptions({ serviceName: 'x', retry: { backoffMultiplier: 2 } })
 * // Unknown option "retry.backoffMultiplier" of EventBusModule: did you mean "retry.multiplier"?
 */
export function checkModuleOptions(options: EventBusModuleOptions): void {
  // NOTE: anything but an object is left to resolveConfig, whose message shows a whole example.
  if (!isOptionsObject(options)) return;
  assertKnownKeys('', options, ROOT_KEYS, MODULE_ALIASES, OWNER);
  checkRedis(options.redis);
  assertKnownKeys('limits', options.limits, LIMITS_KEYS, MODULE_ALIASES, OWNER);
  checkRetryOptions(options.retry, OWNER);
  assertKnownKeys(
    'handlerDefaults',
    options.handlerDefaults,
    HANDLER_DEFAULTS_KEYS,
    MODULE_ALIASES,
    OWNER,
  );
  checkDurable(options.durable);
  checkSchemas(options.schemas);
  if (options.logLevel !== undefined)
    assertOneOf('logLevel', options.logLevel, LOG_LEVELS, OWNER);
  assertKnownKeys(
    'metrics',
    options.metrics,
    METRICS_KEYS,
    MODULE_ALIASES,
    OWNER,
  );
  assertTypeOf('metrics.enabled', options.metrics?.enabled, 'boolean', OWNER);
  const roomHistory: unknown = options.roomHistory;
  if (
    roomHistory !== undefined &&
    roomHistory !== false &&
    !isOptionsObject(roomHistory)
  ) {
    throw new InvalidConfigurationError(
      messages.invalidOptionType(
        optionLabel('roomHistory', OWNER),
        roomHistory,
        '{ maxLength, maxAgeMs } or false (no history)',
      ),
    );
  }
  if (roomHistory !== false)
    assertKnownKeys(
      'roomHistory',
      roomHistory,
      ROOM_HISTORY_KEYS,
      MODULE_ALIASES,
      OWNER,
    );
}

/**
 * The level the bus logs at: `'info'`, the seeds' name, is `'log'`.
 *
 * @param level a level checked by `checkModuleOptions`, or undefined
 * @default 'log'
 */
export function resolveLogLevel(
  level: (typeof LOG_LEVELS)[number] | undefined,
): 'debug' | 'log' | 'warn' | 'error' {
  return level === undefined || level === 'info' ? 'log' : level;
}
