import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { EventBusService } from '@shared-infra/event-bus';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { ChildApp } from './utils/child-app.js';
import { waitUntil } from './utils/collector.js';
import {
  connectClient,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

/**
 * A socket's room requests are answered in the order it sent them: a join
 * that waits (for the room's history, on Redis) is not completed after an
 * `unsubscribe` sent behind it, which would put the socket back in the room.
 * (Found by the gateway fuzz suite under load.)
 */
describe('Room requests of one socket, in order', () => {
  let redis: RedisServer;
  let gateway: ChildApp;
  let url: string;
  let service: INestApplicationContext;
  let client: TestClient;

  const typesIn = (room: string): string[] =>
    client.events.items.filter(e => e.room === room).map(e => e.type);

  beforeAll(async () => {
    redis = await RedisServer.start();
    gateway = await ChildApp.start('gateway/gateway-instance.main', {
      REDIS_URL: redis.url,
    });
    url = `http://127.0.0.1:${await gateway.request<number>({ cmd: 'port' })}`;
    service = await startBusApp(redis.url, { serviceName: 'photos' });
    client = await connectClient(url, { token: tokenFor('alice') });
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
    await gateway?.stop();
    await redis?.stop();
  });

  it('an unsubscribe sent right after a recovering subscribe leaves the socket out of the room', async () => {
    const bus = service.get(EventBusService);
    const room = 'photo:alice-1';
    expect(await client.request('subscribe', { room })).toEqual({ ok: true });
    const first = await bus.publishToRoom(room, 'photo.tagged', { n: 1 });
    await bus.publishToRoom(room, 'photo.tagged', { n: 2 });
    await waitUntil(() => typesIn(room).length === 2, 5000, 'both events');

    // Both sent in one tick: the recovery reads the history from Redis while the unsubscribe is read.
    const [joined, left] = await Promise.all([
      client.request('subscribe', { room, lastEventId: first.eventId }),
      client.request('unsubscribe', { room }),
    ]);
    expect(joined).toMatchObject({ ok: true });
    expect(left).toEqual({ ok: true });

    await bus.publishToRoom(room, 'photo.after-unsubscribe', {});
    await bus.publishToUser('alice', 'marker.done', {});
    await waitUntil(
      () => client.events.items.some(e => e.type === 'marker.done'),
      5000,
      'the marker',
    );
    expect(typesIn(room)).not.toContain('photo.after-unsubscribe');
  });
});
