/**
 * Publisher child, the bus side: a Nest application context with EventBusModule
 * on Redis; each event is `eventBus.publish('bench.tick', data)`. With
 * BENCH_BATCH_PUBLISHES=false the bus runs with `redis.batchPublishes: false`
 * (see bench/lib/bus-app.ts). env: REDIS_URL.
 */
import 'reflect-metadata';
import { startBenchBus } from '../lib/bus-app.js';
import { fail } from '../lib/ipc.js';
import { EVENT_TYPE, makeStampedData } from '../fanout/payload.js';
import { runRatePublisher } from './common.js';

runRatePublisher(async () => {
  const { bus, close } = await startBenchBus('bench-publisher');
  return {
    publish: seq => bus.publish(EVENT_TYPE, makeStampedData(seq)),
    close,
  };
}).catch(fail);
