/**
 * Subscriber child, the baseline: plain ioredis, SUBSCRIBE on the bus' channel
 * and a JSON.parse of every message (any real consumer decodes what it gets).
 * env: REDIS_URL.
 */
import { Redis } from 'ioredis';
import { fail } from '../lib/ipc.js';
import { CHANNEL } from '../fanout/payload.js';
import {
  LatencyRecorder,
  runLatencySubscriber,
  type LatencyData,
} from './common.js';

const recorder = new LatencyRecorder();

runLatencySubscriber(recorder, async () => {
  const sub = new Redis(process.env.REDIS_URL!, { lazyConnect: true });
  await sub.connect();
  sub.on('message', (_channel: string, message: string) => {
    recorder.hit((JSON.parse(message) as LatencyData).sentAt);
  });
  await sub.subscribe(CHANNEL);
  return async () => {
    await sub.quit();
  };
}).catch(fail);
