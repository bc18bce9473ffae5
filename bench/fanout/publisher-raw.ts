/**
 * Publisher child, the baseline: plain ioredis with auto-pipelining on (as the
 * bus' publisher connection); each event is
 * `redis.publish(channel, JSON.stringify(data))`. env: REDIS_URL.
 */
import { Redis } from 'ioredis';
import { fail } from '../lib/ipc.js';
import { CHANNEL, makeStampedData } from './payload.js';
import { runPublisher } from './publisher-common.js';

runPublisher(async () => {
  const redis = new Redis(process.env.REDIS_URL!, {
    lazyConnect: true,
    enableAutoPipelining: true,
  });
  await redis.connect();
  return {
    publish: seq =>
      redis.publish(CHANNEL, JSON.stringify(makeStampedData(seq))),
    close: async () => {
      await redis.quit();
    },
  };
}).catch(fail);
