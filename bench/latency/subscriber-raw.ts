/**
 * Subscriber child, the baseline: plain ioredis, SUBSCRIBE on the bus' channel
 * and a JSON.parse of every message (any real consumer decodes what it gets).
 * env: REDIS_URL.
 */
import { Redis } from 'ioredis';
import { fail } from '../lib/ipc.js';
import { CHANNEL, type StampedData } from '../fanout/payload.js';
import { DeliveryCounter, runSubscriber } from '../fanout/subscriber-common.js';

const recorder = new DeliveryCounter();

runSubscriber(recorder, async () => {
  const sub = new Redis(process.env.REDIS_URL!, { lazyConnect: true });
  await sub.connect();
  sub.on('message', (_channel: string, message: string) => {
    recorder.hit((JSON.parse(message) as StampedData).sentAt);
  });
  await sub.subscribe(CHANNEL);
  return async () => {
    await sub.quit();
  };
}).catch(fail);
