/**
 * Publisher child, the bus side: a Nest application context with EventBusModule
 * on Redis (no handlers); each event is `eventBus.publish('bench.tick', data)`.
 * The bus' publisher connection writes a tick's commands in one write. env: REDIS_URL;
 * BENCH_FRAMES (JSON, e.g. `true` or `{"maxDelayMs":1}`): `redis.frames`.
 */
import 'reflect-metadata';
import { benchFramesOptions, startBenchBus } from '../lib/bus-app.js';
import { fail } from '../lib/ipc.js';
import { EVENT_TYPE, makeStampedData } from './payload.js';
import { runPublisher } from './publisher-common.js';

runPublisher(async () => {
  const { bus, close } = await startBenchBus(
    'bench-publisher',
    benchFramesOptions(),
  );
  return {
    publish: seq => bus.publish(EVENT_TYPE, makeStampedData(seq)),
    close,
  };
}).catch(fail);
