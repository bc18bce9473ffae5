import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBusService, type EventEnvelope } from '@shared-infra/event-bus';
import {
  EventBusGatewayService,
  EventBusIoAdapter,
} from '@shared-infra/event-bus/gateway';
import type { AddressInfo } from 'node:net';
import { GatewayAppModule } from './fixtures/gateway/gateway-app.module.js';
import { RedisServer } from './setup/redis-server.js';
import { Collector, waitUntil } from './utils/collector.js';
import {
  connectClient,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

/**
 * Issue 18's gateway features attacked from the README alone, with a plain
 * socket.io client and hand-signed tokens: who may read another user's room
 * history and presence, what presence tells about others, who may signal
 * where, and what a client's flood of requests puts on the bus.
 */
describe('Issue 18 attacks: the gateway (Redis)', () => {
  let redis: RedisServer;
  let app: INestApplication;
  let url: string;
  const clients: TestClient[] = [];
  const heard = new Collector<EventEnvelope>();

  const connect = async (userId: string, claims = {}) => {
    const client = await connectClient(url, {
      token: tokenFor(userId, claims),
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    app = await NestFactory.create(
      GatewayAppModule.forRoot(
        { transport: 'redis', redis: { url: redis.url } },
        {
          rooms: {
            lobby: { presence: true, history: false, publish: 'nobody' },
            'photo:*': { presence: true },
          },
        },
      ),
      { logger: ['error'], abortOnError: false },
    );
    app.useWebSocketAdapter(new EventBusIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    await app
      .get(EventBusService)
      .subscribe('client.subscribed', e => void heard.push(e));
  });

  afterEach(() => {
    clients.splice(0).forEach(c => c.close());
  });

  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('publishes client.subscribed once per join, not once per repeated subscribe (no bus flood)', async () => {
    const client = await connect('flooder');
    for (let i = 0; i < 5; i++)
      expect(await client.request('subscribe', { room: 'lobby' })).toEqual({
        ok: true,
      });
    // Its own room, which it is in from the handshake on: no news either.
    expect(await client.request('subscribe', { room: 'user:flooder' })).toEqual(
      { ok: true },
    );
    // A marker join after them: client.subscribed events come in order.
    expect(
      await client.request('subscribe', { room: 'photo:flooder-1' }),
    ).toEqual({ ok: true });
    const mine = () =>
      heard.items.filter(
        e => (e.data as { userId: string }).userId === 'flooder',
      );
    await waitUntil(
      () => mine().some(e => (e.data as { room: string }).room !== 'lobby'),
      5000,
      'client.subscribed of photo:flooder-1',
    );
    expect(mine().map(e => (e.data as { room: string }).room)).toEqual([
      'lobby',
      'photo:flooder-1',
    ]);
  });

  it("refuses a stranger another user's user/client/session rooms' history and presence, and a photo room's", async () => {
    const alice = await connect('alice', {
      clientId: 'laptop',
      sessionId: 's1',
    });
    expect(await alice.request('subscribe', { room: 'photo:alice-1' })).toEqual(
      { ok: true },
    );
    const mallory = await connect('mallory');
    for (const room of [
      'user:alice',
      'client:alice:laptop',
      'session:alice:s1',
      'photo:alice-1',
    ]) {
      expect(await mallory.request('history', { room })).toMatchObject({
        ok: false,
        code: 'forbidden',
      });
      expect(await mallory.request('presence', { room })).toMatchObject({
        ok: false,
        code: 'forbidden',
      });
    }
    // Her own room's history is hers to read.
    expect(await alice.request('history', { room: 'user:alice' })).toEqual({
      ok: true,
      events: [],
      hasMore: false,
      recovered: true,
    });
  });

  it("tells a presence room's members a user's id only (no client, session or socket id), and keeps nothing of a history: false room", async () => {
    const bob = await connect('bob', {
      clientId: 'secret-device',
      sessionId: 'secret-session',
    });
    const carol = await connect('carol');
    expect(await carol.request('subscribe', { room: 'lobby' })).toEqual({
      ok: true,
    });
    expect(await bob.request('subscribe', { room: 'lobby' })).toEqual({
      ok: true,
    });
    const isBobsJoin = (e: unknown) =>
      (e as { user?: { userId: string } }).user?.userId === 'bob';
    await carol.events.until(isBobsJoin, 5000);
    const notice = carol.events.items.find(isBobsJoin) as unknown as Record<
      string,
      unknown
    >;
    expect(notice).toEqual({
      room: 'lobby',
      user: { userId: 'bob' },
      at: expect.any(String),
    });
    expect(JSON.stringify(notice)).not.toMatch(
      /secret-device|secret-session|socket/,
    );
    await app
      .get(EventBusGatewayService)
      .broadcastToRoom('lobby', 'lobby.news', { n: 1 });
    await carol.events.until(e => e.type === 'lobby.news', 5000);
    expect(await carol.request('history', { room: 'lobby' })).toEqual({
      ok: true,
      events: [],
      hasMore: false,
      recovered: true,
    });
    // publish: 'nobody' — a member may not signal (spoof typing, read marks) there.
    expect(
      await bob.request('signal', { room: 'lobby', kind: 'typing' }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
  });
});
