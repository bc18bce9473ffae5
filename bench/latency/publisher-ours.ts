/**
 * Publisher child, the bus side: a Nest application context with EventBusModule
 * on Redis; each event is `eventBus.publish('bench.tick', data)`. With
 * BENCH_BATCH_PUBLISHES=false the bus runs with `redis.batchPublishes: false`
 * (one PUBLISH per event instead of one script call per tick); with
 * BENCH_FRAMES (JSON) it has that `redis.frames`. env: REDIS_URL.
 */
import 'reflect-metadata';
import { benchFramesOptions, startBenchBus } from '../lib/bus-app.js';
import { fail } from '../lib/ipc.js';
import { EVENT_TYPE } from '../fanout/payload.js';
import { makeLatencyData, runRatePublisher } from './common.js';

const batchPublishes = process.env.BENCH_BATCH_PUBLISHES !== 'false';

runRatePublisher(async () => {
  const { bus, close } = await startBenchBus(
    'bench-publisher',
    batchPublishes
      ? benchFramesOptions()
      : { redis: { url: process.env.REDIS_URL, batchPublishes: false } },
  );
  return {
    publish: seq => bus.publish(EVENT_TYPE, makeLatencyData(seq)),
    close,
  };
}).catch(fail);
