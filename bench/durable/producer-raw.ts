/**
 * Producer child, the baseline: plain ioredis with auto-pipelining (the XADDs
 * of one tick leave in one write); each event is
 * `XADD eventbus:{bench}:stream MAXLEN ~ 100000 * e <json>`, the trimming the
 * bus does by default. env: REDIS_URL.
 */
import { Redis } from 'ioredis';
import { fail } from '../lib/ipc.js';
import { makeStampedData } from '../fanout/payload.js';
import { STREAM_KEY, runProducer } from './common.js';

runProducer(async () => {
  const redis = new Redis(process.env.REDIS_URL!, {
    lazyConnect: true,
    enableAutoPipelining: true,
  });
  await redis.connect();
  return {
    publish: seq =>
      redis.xadd(
        STREAM_KEY,
        'MAXLEN',
        '~',
        100_000,
        '*',
        'e',
        JSON.stringify(makeStampedData(seq)),
      ),
    close: async () => {
      await redis.quit();
    },
  };
}).catch(fail);
