export * from './memory.transport.js';
export * from './redis/redis.transport.js';
