/**
 * Consumer child, the baseline: raw ioredis on the same stream and group,
 * XREADGROUP COUNT 64 BLOCK 1000 on its own connection, JSON.parse of each entry,
 * one XACK per batch.
 */
import { Redis } from 'ioredis';
import { fail } from '../lib/ipc.js';
import {
  CONCURRENCY,
  GROUP,
  LatencyCounter,
  STREAM_KEY,
  runConsumer,
  type DurableData,
} from './common.js';

const counter = new LatencyCounter();

runConsumer(counter, async () => {
  const commands = new Redis(process.env.REDIS_URL!);
  const reader = new Redis(process.env.REDIS_URL!);
  try {
    await commands.call('XGROUP', 'CREATE', STREAM_KEY, GROUP, '0', 'MKSTREAM');
  } catch {
    // BUSYGROUP: a previous run made it.
  }
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const reply = (await reader
        .call(
          'XREADGROUP',
          'GROUP',
          GROUP,
          'raw',
          'COUNT',
          CONCURRENCY,
          'BLOCK',
          1000,
          'STREAMS',
          STREAM_KEY,
          '>',
        )
        .catch(() => null)) as unknown[] | null;
      if (!reply) continue;
      // RESP3 (ioredis 6 default) flattens the map reply: [key, entries].
      const entries = reply[1] as Array<[string, string[]]>;
      const ids: string[] = [];
      for (const [id, fields] of entries) {
        const data = JSON.parse(fields[1]) as DurableData;
        counter.hit(data.sentAt);
        ids.push(id);
      }
      if (ids.length) await commands.call('XACK', STREAM_KEY, GROUP, ...ids);
    }
  })();
  return async () => {
    stopped = true;
    reader.disconnect();
    await loop;
    await commands.quit();
  };
}).catch(fail);
