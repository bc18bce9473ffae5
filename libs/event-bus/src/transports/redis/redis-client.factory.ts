import { within } from '../../within.util.js';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { EventBusConfig } from '../../event-bus.config.js';
import type { EventBusLogger } from '../../event-bus.logger.js';
import { backoffDelay } from '../../delivery/retry-policy.js';
import { loadOptionalPackage } from '../../optional-package.util.js';
import { corkWrites } from './corked-writes.js';
import { shardedPubSubPlan } from './shard-channels.js';
import { InvalidConfigurationError } from '../../errors/invalid-configuration.error.js';
import { messages } from '../../event-bus.messages.js';

/** The bus' Redis settings, resolved. */
export type RedisConfig = NonNullable<EventBusConfig['redis']>;

/** One Redis (standalone or Sentinel) or a Redis Cluster client; both speak the same commands. */
export type RedisClient = Redis | Cluster;

/**
 * What a connection is for: the bus' publisher and subscriber, a durable
 * stream reader, the gateway's commands and socket.io adapter subscriber, or the admin dashboard's
 * instance reports.
 */
export type RedisClientRole =
  'pub' | 'sub' | 'stream' | 'gateway' | 'gateway-sub' | 'admin';

/** The classes of the ioredis package, as loaded on first use of the redis transport. */
export interface IoRedis {
  Redis: typeof Redis;
  Cluster: typeof Cluster;
}

/** The peer range of `ioredis` in the package manifest. */
const IOREDIS_RANGE = '^5.4.0 || ^6.0.0';

/**
 * Imports ioredis, an optional peer: only apps on the redis transport need it,
 * so nothing imports it statically (and a CommonJS app's `require()` of the
 * package never waits on it).
 *
 * @throws InvalidConfigurationError naming the package and the install command when it is missing
 */
export function loadIoRedis(): Promise<IoRedis> {
  return loadOptionalPackage<IoRedis>(
    'ioredis',
    IOREDIS_RANGE,
    "Option transport: 'redis'",
    () => import('ioredis'),
  );
}

/**
 * Whether a Cluster client of `role` needs a subscriber per master (ioredis
 * `shardedSubscribers`): the bus' subscriber whenever it listens on shard
 * channels, the socket.io adapter's once the gateway uses the sharded adapter
 * (`shardedPubSub: true`; see GatewayRedis).
 */
function shardedSubscribersFor(
  role: RedisClientRole,
  mode: NonNullable<RedisConfig['cluster']>['shardedPubSub'],
): boolean {
  if (role === 'sub') return shardedPubSubPlan(mode).listenSharded;
  return role === 'gateway-sub' && mode === true;
}

/**
 * Refuses `redis.cluster.shardedPubSub` on an ioredis without sharded
 * subscribers: an older one ignores the Cluster option `shardedSubscribers`
 * and sends every SSUBSCRIBE to one random node, where most are refused.
 * Checked on a Cluster that never connects (lazy), when the transport is made,
 * so the app fails to start instead of retrying in the background.
 *
 * @throws InvalidConfigurationError naming the option and the upgrade
 */
export function assertShardedSubscribers(ioredis: IoRedis): void {
  const probe = new ioredis.Cluster([{ host: '127.0.0.1', port: 6379 }], {
    lazyConnect: true,
    shardedSubscribers: true,
  });
  const supported = 'shardedSubscribers' in probe;
  probe.disconnect();
  if (!supported)
    throw new InvalidConfigurationError(messages.shardedPubSubUnsupported());
}

/** 100 ms, 200 ms, … up to 2 s, with equal jitter. */
const RECONNECT_BACKOFF = {
  initialDelay: 100,
  multiplier: 2,
  maxDelay: 2000,
  jitter: 'equal',
} as const;

/** Longest a QUIT may take before the connection is dropped instead. */
const QUIT_TIMEOUT_MS = 1000;

/**
 * Closes a connection: QUIT when it is up (what was sent before goes out
 * first), dropped at once when it is not. A QUIT on a connection that is
 * reconnecting would wait in ioredis' offline queue for every retry
 * (`maxRetriesPerRequest`), holding the app's shutdown while Redis is away.
 */
export async function closeClient(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const quit = client.quit().then(
    () => true,
    () => false,
  );
  if (!(await within(quit, QUIT_TIMEOUT_MS, false))) client.disconnect();
}

export interface RedisClientFactoryOptions {
  ioredis: IoRedis;
  config: RedisConfig;
  serviceName: string;
  logger: EventBusLogger;
  /** Whether the owner has closed: its clients then stop reconnecting. */
  isClosed: () => boolean;
  /** A client turned `ready` (true), or began reconnecting or closed (false). */
  onStateChange: (role: RedisClientRole, ready: boolean) => void;
}

/**
 * Builds the ioredis clients of one transport, with our retry, naming and
 * logging: a `Redis` from the URL and options, or a `Cluster` from
 * `redis.cluster`. Every client starts lazily; the caller connects it.
 */
export class RedisClientFactory {
  constructor(private readonly options: RedisClientFactoryOptions) {}

  create(role: RedisClientRole): RedisClient {
    const { ioredis, config, serviceName } = this.options;
    const connectionName = `${serviceName}:event-bus:${role}`;
    let client: RedisClient;
    if (config.cluster) {
      const { nodes, options: clusterOptions } = config.cluster;
      const options: ClusterOptions = {
        clusterRetryStrategy: this.createRetryStrategy(),
        // NOTE: ioredis 6 documents 5000 but applies none, and keyless PUBLISH never
        // gets a MOVED, so without it a restarted or promoted master is never seen again.
        slotsRefreshInterval: 5000,
        ...clusterOptions,
        lazyConnect: true,
        enableAutoPipelining: role === 'pub' || role === 'gateway',
        redisOptions: {
          connectionName,
          maxRetriesPerRequest: config.maxRetriesPerRequest,
          ...clusterOptions?.redisOptions,
          // NOTE: node connections default to lazy; an idle lazy one never notices its node
          // is gone, so the Cluster stays 'ready' through a full outage while its subscriber
          // retries node after node in a tight loop. Connected ones end, and the Cluster
          // turns 'reconnecting' at once and backs off.
          lazyConnect: false,
        },
      };
      // NOTE: no autoResubscribe to turn off: the Cluster's subscriber connection never
      // reconnects itself; ioredis moves it to another node with its channels, and after
      // a full reconnect our `ready` handler subscribes again (SUBSCRIBE is idempotent).
      const sharded = shardedSubscribersFor(role, config.cluster.shardedPubSub);
      if (sharded) options.shardedSubscribers = true;
      client = new ioredis.Cluster(nodes, options);
    } else {
      const options: RedisOptions = {
        connectionName,
        retryStrategy: this.createRetryStrategy(),
        maxRetriesPerRequest: config.maxRetriesPerRequest,
        ...config.options,
        lazyConnect: true,
        // NOTE: we resubscribe ourselves on `ready`, so patterns added while down are included.
        // The socket.io adapter's subscriber relies on ioredis doing it.
        autoResubscribe: role === 'gateway-sub',
        // The publisher corks its socket per tick instead (see corkWrites).
        enableAutoPipelining: role === 'gateway',
      };
      const redis = config.url
        ? new ioredis.Redis(config.url, options)
        : new ioredis.Redis(options);
      if (role === 'pub') corkWrites(redis);
      client = redis;
    }
    this.watch(client, role);
    return client;
  }

  /** Exponential backoff from 50 ms to 2 s with jitter; never gives up while open. */
  createRetryStrategy(): (times: number) => number | null {
    return times => {
      if (this.options.isClosed()) return null;
      return backoffDelay(RECONNECT_BACKOFF, times);
    };
  }

  /** Logs a client's errors once per outage and reports its state changes. */
  private watch(client: RedisClient, role: RedisClientRole): void {
    const { logger, onStateChange } = this.options;
    let reported = false;
    const onError = (error: Error, node?: string) => {
      const where = node
        ? `${role} connection to cluster node ${node}`
        : `${role} connection`;
      // One warning per outage; the rest at debug level, so a long outage does not flood the log.
      if (!reported)
        logger.warn(
          `Redis ${where} error: ${error.message}. Reconnecting with backoff.`,
        );
      else logger.debug(`Redis ${where} error: ${error.message}`);
      reported = true;
    };
    client.on('error', (error: Error) => onError(error));
    // A Cluster reports a failing node here and keeps `error` for "no node reachable".
    client.on('node error', (error: Error, node: string) =>
      onError(error, node),
    );
    client.on('ready', () => {
      if (reported) logger.log(`Redis ${role} connection is back.`);
      reported = false;
      onStateChange(role, true);
    });
    client.on('reconnecting', () => onStateChange(role, false));
    client.on('close', () => onStateChange(role, false));
  }
}
