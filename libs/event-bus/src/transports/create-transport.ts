import type { EventBusConfig } from '../event-bus.config.js';
import type { EventTransport } from '../interfaces/transport.interface.js';
import { MemoryTransport } from './memory.transport.js';
import { RedisTransport } from './redis/redis.transport.js';

/** The transport the configuration asks for. */
export function createTransport(config: EventBusConfig): EventTransport {
  if (config.transport === 'redis' && config.redis) {
    return new RedisTransport(
      config.redis,
      config.serviceName,
      config.logLevel,
    );
  }
  return new MemoryTransport();
}
