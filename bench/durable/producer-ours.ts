/**
 * Producer child, the bus side: `eventBus.publish('bench.job', data)` (the
 * envelope, then XADD MAXLEN ~ 100000, pipelined; the fan-out PUBLISH stops
 * once nobody hears it). env: REDIS_URL.
 */
import 'reflect-metadata';
import { startBenchBus } from '../lib/bus-app.js';
import { fail } from '../lib/ipc.js';
import { makeStampedData } from '../fanout/payload.js';
import { DURABLE_TYPE, runProducer } from './common.js';

runProducer(async () => {
  const { bus, close } = await startBenchBus('bench-producer');
  return {
    publish: seq => bus.publish(DURABLE_TYPE, makeStampedData(seq)),
    close,
  };
}).catch(fail);
