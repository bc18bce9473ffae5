/**
 * Publisher child, the baseline: plain ioredis with auto-pipelining (the
 * PUBLISHes of one tick leave in one write); each event is
 * `redis.publish(channel, JSON.stringify(data))`. env: REDIS_URL.
 */
import { Redis } from 'ioredis';
import { fail } from '../lib/ipc.js';
import { CHANNEL } from '../fanout/payload.js';
import { makeLatencyData, runRatePublisher } from './common.js';

runRatePublisher(async () => {
  const redis = new Redis(process.env.REDIS_URL!, {
    lazyConnect: true,
    enableAutoPipelining: true,
  });
  await redis.connect();
  return {
    publish: seq =>
      redis.publish(CHANNEL, JSON.stringify(makeLatencyData(seq))),
    close: async () => {
      await redis.quit();
    },
  };
}).catch(fail);
