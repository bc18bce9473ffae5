/**
 * Subscriber child, the baseline: plain ioredis, PSUBSCRIBE on the bus' glob
 * (SUBSCRIBE on the bus' channel with BENCH_EXACT=1), and a JSON.parse of
 * every message (any real consumer decodes what it gets). env: REDIS_URL.
 */
import { Redis } from 'ioredis';
import { fail } from '../lib/ipc.js';
import { CHANNEL, CHANNEL_GLOB, type StampedData } from './payload.js';
import { DeliveryCounter, runSubscriber } from './subscriber-common.js';

const counter = new DeliveryCounter();

function onMessage(message: string): void {
  const data = JSON.parse(message) as StampedData;
  if (counter.needsSample) counter.sample(Buffer.byteLength(message));
  if (data.seq !== undefined) counter.hit(data.sentAt);
}

runSubscriber(counter, async () => {
  const sub = new Redis(process.env.REDIS_URL!, { lazyConnect: true });
  await sub.connect();
  if (process.env.BENCH_EXACT === '1') {
    sub.on('message', (_channel: string, message: string) =>
      onMessage(message),
    );
    await sub.subscribe(CHANNEL);
  } else {
    sub.on('pmessage', (_glob: string, _channel: string, message: string) =>
      onMessage(message),
    );
    await sub.psubscribe(CHANNEL_GLOB);
  }
  return async () => {
    await sub.quit();
  };
}).catch(fail);
