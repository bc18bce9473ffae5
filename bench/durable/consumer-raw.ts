/**
 * Consumer child, the baseline: plain ioredis on the same stream and group, the
 * strongest simple loop: XREADGROUP COUNT 100 BLOCK 1000 on its own connection,
 * JSON.parse of each entry and the handler call, then one XACK for the batch on
 * a second connection, not waited for: the next XREADGROUP goes out at once.
 * env: REDIS_URL.
 */
import { Redis } from 'ioredis';
import { fail } from '../lib/ipc.js';
import { DeliveryCounter, runSubscriber } from '../fanout/subscriber-common.js';
import type { StampedData } from '../fanout/payload.js';
import { BATCH, BLOCK_MS, GROUP, STREAM_KEY } from './common.js';

type Entries = Array<[id: string, fields: string[]]>;

const recorder = new DeliveryCounter();

runSubscriber(recorder, async () => {
  const commands = new Redis(process.env.REDIS_URL!, { lazyConnect: true });
  const reader = new Redis(process.env.REDIS_URL!, { lazyConnect: true });
  await Promise.all([commands.connect(), reader.connect()]);
  try {
    await commands.xgroup('CREATE', STREAM_KEY, GROUP, '0', 'MKSTREAM');
  } catch {
    // BUSYGROUP: a previous run made it.
  }
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      let reply: unknown[] | null;
      try {
        reply = (await reader.call(
          'XREADGROUP',
          'GROUP',
          GROUP,
          'raw',
          'COUNT',
          BATCH,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          STREAM_KEY,
          '>',
        )) as unknown[] | null;
      } catch {
        continue;
      }
      if (!reply) continue;
      // RESP3 (ioredis 6's default) flattens the map reply to [key, entries].
      const entries = reply[1] as Entries;
      const ids = new Array<string>(entries.length);
      for (let i = 0; i < entries.length; i++) {
        const [id, fields] = entries[i];
        recorder.hit((JSON.parse(fields[1]) as StampedData).sentAt);
        ids[i] = id;
      }
      commands.xack(STREAM_KEY, GROUP, ...ids).catch(() => undefined);
    }
  })();
  return async () => {
    stopped = true;
    reader.disconnect();
    await loop;
    await commands.quit();
  };
}).catch(fail);
