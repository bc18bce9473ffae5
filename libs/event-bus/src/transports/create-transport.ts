import type { EventBusConfig } from '../event-bus.config.js';
import type { EventTransport } from '../interfaces/transport.interface.js';
import { MemoryTransport } from './memory.transport.js';
import { loadIoRedis } from './redis/redis-client.factory.js';
import { RedisTransport } from './redis/redis.transport.js';

/**
 * The transport the configuration asks for. Async because the redis transport
 * imports ioredis (an optional peer) only when it is configured.
 *
 * @throws InvalidConfigurationError when the redis transport is configured and ioredis is not installed
 */
export async function createTransport(
  config: EventBusConfig,
): Promise<EventTransport> {
  if (config.transport === 'redis' && config.redis) {
    return new RedisTransport(
      await loadIoRedis(),
      config.redis,
      config.serviceName,
      config.logLevel,
    );
  }
  return new MemoryTransport();
}
