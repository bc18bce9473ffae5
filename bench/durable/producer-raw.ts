/** Producer child, the baseline: `XADD eventbus:{bench}:stream MAXLEN ~ 100000 * e <json>` with auto-pipelining. */
import { Redis } from 'ioredis';
import { fail } from '../lib/ipc.js';
import { STREAM_KEY, makeDurableData, runProducer } from './common.js';

runProducer(async () => {
  const redis = new Redis(process.env.REDIS_URL!, {
    enableAutoPipelining: true,
  });
  return {
    publish: seq =>
      redis.call(
        'XADD',
        STREAM_KEY,
        'MAXLEN',
        '~',
        100_000,
        '*',
        'e',
        JSON.stringify(makeDurableData(seq)),
      ),
    close: async () => {
      await redis.quit();
    },
  };
}).catch(fail);
