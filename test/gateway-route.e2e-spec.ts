import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import {
  EventBusService,
  type EventBusStats,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { Redis } from 'ioredis';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { ChildApp } from './utils/child-app.js';
import { waitUntil } from './utils/collector.js';
import {
  connectClient,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

/** The fixture's prefix is the default one. */
const GATEWAY_CHANNEL = 'eventbus#gateway';

function envelope(type: string, metadata: Record<string, unknown>): string {
  return JSON.stringify({
    id: `01JTEST${String(Math.floor(Math.random() * 1e9)).padStart(19, '0')}`,
    type,
    data: { n: 1 },
    metadata: {
      source: 'redis-cli',
      timestamp: new Date().toISOString(),
      traceId: 'trace-from-redis-cli',
      correlationId: 'trace-from-redis-cli',
      ...metadata,
    },
    version: 1,
  });
}

/** What a socket got, without the presence events the gateway may send it. */
const typesOf = (client: TestClient): string[] =>
  client.events.items.map(e => e.type).filter(t => !t.startsWith('user.'));

const received = (client: TestClient, count: number): Promise<void> =>
  waitUntil(() => typesOf(client).length >= count, 5000, `${count} events`);

/**
 * Room-targeted events travel on the gateway channel; a gateway instance
 * hears those and not the rest of the bus (it no longer subscribes to `**`).
 */
describe('The gateway channel', () => {
  let redis: RedisServer;
  let gateway: ChildApp;
  let url: string;
  let service: INestApplicationContext;
  let raw: Redis;
  const clients: TestClient[] = [];
  const everything: EventEnvelope[] = [];

  const busStats = () => gateway.request<EventBusStats>({ cmd: 'busStats' });

  beforeAll(async () => {
    redis = await RedisServer.start();
    gateway = await ChildApp.start('gateway/gateway-instance.main', {
      REDIS_URL: redis.url,
    });
    url = `http://127.0.0.1:${await gateway.request<number>({ cmd: 'port' })}`;
    service = await startBusApp(redis.url, { serviceName: 'orders' });
    await service
      .get(EventBusService)
      .subscribe('**', e => void everything.push(e));
    raw = new Redis(redis.url);
  });

  afterEach(() => {
    clients.splice(0).forEach(c => c.close());
  });

  afterAll(async () => {
    raw?.disconnect();
    await service?.close();
    await gateway?.stop();
    await redis?.stop();
  });

  it('is subscribed by the gateway instance, and no other channel is needed for sockets', async () => {
    const channels = await raw.pubsub('CHANNELS', '*#gateway');
    expect(channels).toEqual([GATEWAY_CHANNEL]);
  });

  it('untargeted events do not reach a gateway instance at all; a targeted one reaches it once', async () => {
    // The instance handles user.* and client.* itself (presence), so it receives exactly
    // those and what comes on the gateway channel; the `**` handler here sees the same presence events.
    const presenceSeen = () =>
      everything.filter(e => /^(user|client)\./.test(e.type)).length;
    const receivedBeyondPresence = async () =>
      (await busStats()).eventsReceived - presenceSeen();
    const client = await connectClient(url, { token: tokenFor('alice') });
    clients.push(client);
    await waitUntil(
      async () => presenceSeen() >= 1 && (await receivedBeyondPresence()) === 0,
      5000,
      'the presence events of the connection, on both sides',
    );
    const bus = service.get(EventBusService);
    for (let i = 0; i < 200; i++) await bus.publish('order.placed', { i });
    await bus.publishToUser('alice', 'order.shipped', { orderId: 'o-1' });
    // The socket got the targeted event: everything published before it has been through Redis too.
    await received(client, 1);
    expect(typesOf(client)).toEqual(['order.shipped']);
    // Only the targeted event, on the gateway channel: not the 200 order.placed (it handles no order.* type).
    await waitUntil(
      async () => (await receivedBeyondPresence()) === 1,
      5000,
      'exactly one event beyond presence',
    );
    expect((await busStats()).eventsMalformed).toBe(0);
  });

  it('a `**` handler hears a targeted event once, on its type, never the gateway channel', async () => {
    everything.length = 0;
    const bus = service.get(EventBusService);
    await bus.publishToRoom('photo:p1', 'photo.tagged', { tag: 'x' });
    await bus.publish('marker.done', {});
    await waitUntil(() => everything.some(e => e.type === 'marker.done'));
    // (Presence events of the previous test's socket may come in between.)
    const types = everything
      .map(e => e.type)
      .filter(t => !/^(user|client)\./.test(t));
    expect(types).toEqual(['photo.tagged', 'marker.done']);
    expect(bus.getStats().eventsMalformed).toBe(0);
  });

  it('a foreign publisher reaches sockets on the gateway channel, not on the type channel', async () => {
    const client = await connectClient(url, { token: tokenFor('bob') });
    clients.push(client);
    // On the type's channel only: bus handlers of the type would get it, sockets do not.
    await raw.publish(
      'eventbus:order.shipped',
      envelope('order.shipped', { userId: 'bob', note: 'type channel' }),
    );
    await raw.publish(
      GATEWAY_CHANNEL,
      envelope('order.shipped', { userId: 'bob', note: 'gateway channel' }),
    );
    await received(client, 1);
    // Marker after both: the type-channel copy had its chance and did not come.
    await service.get(EventBusService).publishToUser('bob', 'marker.done', {});
    await received(client, 2);
    expect(typesOf(client)).toEqual(['order.shipped', 'marker.done']);
  });

  it('an envelope on the gateway channel without a room, user or broadcast reaches no socket', async () => {
    const client = await connectClient(url, { token: tokenFor('carol') });
    clients.push(client);
    const before = await busStats();
    await raw.publish(GATEWAY_CHANNEL, envelope('order.shipped', {}));
    await raw.publish(GATEWAY_CHANNEL, 'not json');
    await service
      .get(EventBusService)
      .publishToUser('carol', 'marker.done', {});
    await received(client, 1);
    expect(typesOf(client)).toEqual(['marker.done']);
    const after = await busStats();
    expect(after.eventsMalformed - before.eventsMalformed).toBe(1);
  });
});
