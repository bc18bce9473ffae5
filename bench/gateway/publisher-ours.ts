/**
 * Publisher child, our side: a Nest application context with EventBusModule
 * on Redis; each event is `bus.publishToRoom(ROOM, 'bench.tick', data)` (one
 * PUBLISH plus the room-history XADD, pipelined). env: REDIS_URL.
 */
import 'reflect-metadata';
import { startBenchBus } from '../lib/bus-app.js';
import { EVENT_TYPE, ROOM } from './common.js';
import { runPublisher } from './publisher-common.js';

runPublisher(async () => {
  const { bus, close } = await startBenchBus('bench-gateway-publisher');
  return {
    publish: data => bus.publishToRoom(ROOM, EVENT_TYPE, data),
    close,
  };
});
