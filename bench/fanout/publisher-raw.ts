/**
 * Publisher child, the baseline: ioredis, each event
 * `redis.publish(channel, JSON.stringify(data))`. With auto-pipelining (the
 * PUBLISHes of one tick leave in one write: the fastest raw publisher at full
 * speed) or, with BENCH_AUTOPIPELINE=false, plain (one write per command:
 * fewer objects per event, and the lower tail at a moderate rate).
 * env: REDIS_URL.
 */
import { Redis } from 'ioredis';
import { fail } from '../lib/ipc.js';
import { CHANNEL, makeStampedData } from './payload.js';
import { runPublisher } from './publisher-common.js';

runPublisher(async () => {
  const redis = new Redis(process.env.REDIS_URL!, {
    lazyConnect: true,
    enableAutoPipelining: process.env.BENCH_AUTOPIPELINE !== 'false',
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
