/**
 * Shared by the microservices bench children: the event name, the client token,
 * the Redis address for Nest's Transport.REDIS, and the consumer side's counter
 * and command loop. The producer side reuses the fan-out publisher
 * (`runPublisher`: a window of concurrent emits).
 */

/** The `@EventPattern` of both consumers and the pattern both producers emit: an exact name. */
export const EVENT_NAME = 'bench.event';
/** Injection token of the producer's ClientProxy (ClientsModule). */
export const CLIENT = 'BENCH_CLIENT';
/** Redis channel each side publishes to: the bus prefixes `eventbus:`, Transport.REDIS uses the pattern as is. */
export const CHANNELS = {
  ours: `eventbus:${EVENT_NAME}`,
  baseline: EVENT_NAME,
} as const;

/** `{ host, port }` of REDIS_URL, for Transport.REDIS options (which take no URL). */
export function redisHostPort(): { host: string; port: number } {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/**
 * ioredis options both Transport.REDIS ends get beyond host and port: none by
 * default (the built-in as a team configures it); with BUILTIN_AUTOPIPELINING=1,
 * `enableAutoPipelining: true`, as the bus' publisher connection has.
 */
export function builtinRedisOptions(): {
  host: string;
  port: number;
  enableAutoPipelining?: boolean;
} {
  return {
    ...redisHostPort(),
    ...(process.env.BUILTIN_AUTOPIPELINING === '1'
      ? { enableAutoPipelining: true }
      : {}),
  };
}

/** The consumer side's counter and command loop are the fan-out subscriber's. */
export {
  DeliveryCounter as HandledCounter,
  runSubscriber as runConsumer,
} from '../fanout/subscriber-common.js';
