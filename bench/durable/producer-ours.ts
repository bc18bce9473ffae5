/** Producer child, the bus side: `eventBus.publish('bench.job', data)` (XADD + PUBLISH, pipelined). */
import 'reflect-metadata';
import { startBenchBus } from '../lib/bus-app.js';
import { fail } from '../lib/ipc.js';
import { DURABLE_TYPE, makeDurableData, runProducer } from './common.js';

runProducer(async () => {
  const { bus, close } = await startBenchBus('bench-producer');
  return {
    publish: seq => bus.publish(DURABLE_TYPE, makeDurableData(seq)),
    close,
  };
}).catch(fail);
