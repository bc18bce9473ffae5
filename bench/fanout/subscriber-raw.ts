/**
 * Subscriber child, the baseline: plain ioredis, PSUBSCRIBE on the bus' glob,
 * and a JSON.parse of every message (any real consumer decodes what it gets).
 * env: REDIS_URL.
 */
import { Redis } from 'ioredis';
import { fail } from '../lib/ipc.js';
import { CHANNEL_GLOB, type StampedData } from './payload.js';
import { DeliveryCounter, runSubscriber } from './subscriber-common.js';

const counter = new DeliveryCounter();

runSubscriber(counter, async () => {
  const sub = new Redis(process.env.REDIS_URL!, { lazyConnect: true });
  await sub.connect();
  sub.on('pmessage', (_glob: string, _channel: string, message: string) => {
    const data = JSON.parse(message) as StampedData;
    if (counter.needsSample) counter.sample(Buffer.byteLength(message));
    if (data.seq !== undefined) counter.hit(data.sentAt);
  });
  await sub.psubscribe(CHANNEL_GLOB);
  return async () => {
    await sub.quit();
  };
}).catch(fail);
