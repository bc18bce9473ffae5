/**
 * Publisher child, the baseline: how a plain socket.io app publishes from a
 * worker: a socket.io Server with `@socket.io/redis-adapter` and no HTTP server
 * or clients, doing `io.to(ROOM).emit('bench.tick', event)` (the adapter
 * PUBLISHes it, msgpack-encoded, on the room's channel). The event has the
 * shape our gateway emits (`{ id, type, data, timestamp, room }`), so both
 * sides send sockets the same bytes. env: REDIS_URL.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Server } from 'socket.io';
import { EVENT_TYPE, ROOM } from './common.js';
import { runPublisher } from './publisher-common.js';

runPublisher(async () => {
  const pub = new Redis(process.env.REDIS_URL!);
  const sub = pub.duplicate();
  await Promise.all([pub.ping(), sub.ping()]);
  const io = new Server({ adapter: createAdapter(pub, sub) });
  return {
    publish: data => {
      // 26 characters, as long as the bus' ULIDs.
      io.to(ROOM).emit(EVENT_TYPE, {
        id: randomUUID().slice(0, 26),
        type: EVENT_TYPE,
        data,
        timestamp: new Date().toISOString(),
        room: ROOM,
      });
    },
    close: async () => {
      await io.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
});
