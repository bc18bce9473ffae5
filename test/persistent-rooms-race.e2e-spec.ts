import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { PersistentRooms } from '../libs/event-bus/src/gateway/persistent-rooms.js';
import {
  MemoryUserRoomsStore,
  type UserRoomsStore,
} from '../libs/event-bus/src/gateway/user-rooms.store.js';
import { RedisUserRoomsStore } from '../libs/event-bus/src/transports/redis/redis-user-rooms.store.js';
import type { EventBusLogger } from '../libs/event-bus/src/event-bus.logger.js';
import { RedisServer } from './setup/redis-server.js';

/** maxRoomsPerSocket 10: 6 persistent rooms per user. */
const MAX_ROOMS_PER_SOCKET = 10;
const LIMIT = 6;

/**
 * `addUserToRoom(userId, room, { persist: true })` at the limit, called at
 * once: the check and the add are one step, so exactly the rooms that fit
 * are kept, and a refused call never removes a room stored before.
 */
describe('Persistent rooms at the limit, concurrent adds (real Redis)', () => {
  let redis: RedisServer;
  const clients: Redis[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterAll(async () => {
    clients.forEach(c => c.disconnect());
    await redis?.stop();
  });

  /** Two "instances": two stores on two connections, each with its own PersistentRooms. */
  const redisPair = (): PersistentRooms[] =>
    [0, 1].map(() => {
      const client = new Redis(redis.url);
      clients.push(client);
      return rooms(new RedisUserRoomsStore(client, 'race:'));
    });

  const rooms = (store: UserRoomsStore) =>
    new PersistentRooms(store, MAX_ROOMS_PER_SOCKET, {} as EventBusLogger);

  const memory = new MemoryUserRoomsStore();
  describe.each<[string, () => PersistentRooms[]]>([
    ['Redis, two connections', redisPair],
    ['memory', () => [rooms(memory), rooms(memory)]],
  ])('%s', (store, instances) => {
    it('keeps the rooms stored before and exactly as many new ones as fit', async () => {
      const [a, b] = instances();
      const user = store === 'memory' ? 'mem-user' : 'redis-user';
      for (let i = 1; i < LIMIT; i++) await a!.add(user, `chat:old${i}`);
      // One place left; twenty calls for it on two instances, and five for rooms already there.
      const outcomes = await Promise.allSettled([
        ...Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b)!.add(user, `chat:new${i}`),
        ),
        ...Array.from({ length: 5 }, (_, i) =>
          (i % 2 ? b : a)!.add(user, `chat:old${i + 1}`),
        ),
      ]);
      const kept = await a!.list(user);
      expect(kept).toHaveLength(LIMIT);
      expect(kept.filter(r => r.startsWith('chat:old'))).toHaveLength(
        LIMIT - 1,
      );
      const newOnes = kept.filter(r => r.startsWith('chat:new'));
      expect(newOnes).toHaveLength(1);
      const fulfilled = outcomes.filter(o => o.status === 'fulfilled');
      expect(fulfilled).toHaveLength(1 + 5);
      for (const refused of outcomes.filter(o => o.status === 'rejected'))
        expect((refused as PromiseRejectedResult).reason.message).toMatch(
          `already has ${LIMIT} persistent rooms`,
        );
      // At the limit, a room already stored is accepted again and stays.
      await expect(b!.add(user, newOnes[0]!)).resolves.toBeUndefined();
      expect(await b!.list(user)).toEqual(kept);
    });
  });
});
