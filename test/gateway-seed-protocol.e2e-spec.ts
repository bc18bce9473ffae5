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
import {
  EventBusService,
  EventValidationError,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import {
  EventBusGatewayService,
  EventBusIoAdapter,
  type ClientEvent,
  type EventBusGatewayOptions,
} from '@shared-infra/event-bus/gateway';
import type { AddressInfo } from 'node:net';
import { GatewayAppModule } from './fixtures/gateway/gateway-app.module.js';
import { RedisServer } from './setup/redis-server.js';
import { Collector, waitUntil } from './utils/collector.js';
import {
  connectClient,
  isMarker,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

/**
 * The gateway's parts of seed 003's socket protocol (issue 18): `pong`,
 * `connection:established.timestamp`, the connection and subscription bus
 * events, `system.*` to every socket, the websocket health, `sendToClient`,
 * the engine settings and binary payloads. Two instances in this process on
 * one Redis, with real socket.io clients.
 */
describe("Gateway: seed 003's protocol (two instances, Redis)", () => {
  let redis: RedisServer;
  let a: INestApplication;
  let b: INestApplication;
  let urlA: string;
  let urlB: string;
  const clients: TestClient[] = [];
  const heard = new Collector<EventEnvelope>();

  const start = async (
    options: Partial<EventBusGatewayOptions> = {},
  ): Promise<[INestApplication, string]> => {
    const app = await NestFactory.create(
      GatewayAppModule.forRoot(
        { transport: 'redis', redis: { url: redis.url } },
        {
          clientEvents: {
            allow: { 'chat.message': null, 'system.fake': null },
          },
          ...options,
        },
      ),
      { logger: ['error'], abortOnError: false },
    );
    app.useWebSocketAdapter(new EventBusIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    return [
      app,
      `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`,
    ];
  };
  const connect = async (
    url: string,
    userId: string,
    claims: Record<string, unknown> = {},
  ) => {
    const client = await connectClient(url, {
      token: tokenFor(userId, claims),
    });
    clients.push(client);
    return client;
  };
  const ofUser = (userId: string, type: string) =>
    heard.items.filter(
      e => e.type === type && (e.data as { userId: string }).userId === userId,
    );

  beforeAll(async () => {
    redis = await RedisServer.start();
    [a, urlA] = await start({
      pingInterval: 4000,
      pingTimeout: 7000,
      perMessageDeflate: { threshold: 0 },
    });
    [b, urlB] = await start();
    await a.get(EventBusService).subscribe('client.*', e => void heard.push(e));
  });

  afterEach(() => {
    clients.splice(0).forEach(c => c.close());
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis.stop();
  });

  it('says connection:established with a timestamp, and answers ping with a pong event beside the ack', async () => {
    const client = await connect(urlA, 'alice');
    const established = client.established as typeof client.established & {
      timestamp: string;
      serverTime: string;
    };
    expect(established.timestamp).toBe(established.serverTime);
    expect(Number.isNaN(Date.parse(established.timestamp))).toBe(false);
    const pong = new Promise<{ timestamp: string }>(resolve =>
      client.socket.once('pong', resolve),
    );
    // As seed 003's client sends it: no payload, no ack callback.
    client.socket.emit('ping');
    expect(Object.keys(await pong)).toEqual(['timestamp']);
    const ack = await client.request('ping');
    expect(ack).toEqual({ ok: true, serverTime: expect.any(String) });
  });

  it('publishes client.connected / client.disconnected with socketId, timestamp and socket.io’s reason', async () => {
    const client = await connect(urlB, 'bob', { clientId: 'laptop' });
    await waitUntil(
      () => ofUser('bob', 'client.connected').length === 1,
      5000,
      'client.connected',
    );
    expect(ofUser('bob', 'client.connected')[0].data).toEqual({
      userId: 'bob',
      clientId: 'laptop',
      socketId: client.established.socketId,
      instanceId: client.established.instanceId,
      at: expect.any(String),
      timestamp: expect.any(String),
    });
    client.close();
    await waitUntil(
      () => ofUser('bob', 'client.disconnected').length === 1,
      5000,
      'client.disconnected',
    );
    expect(ofUser('bob', 'client.disconnected')[0].data).toMatchObject({
      socketId: client.established.socketId,
      timestamp: expect.any(String),
      reason: 'client namespace disconnect',
    });
  });

  it('publishes client.subscribed when a subscribe succeeds, and nothing for a refused one', async () => {
    const client = await connect(urlA, 'carol', { clientId: 'phone' });
    expect(await client.request('subscribe', { room: 'lobby' })).toEqual({
      ok: true,
    });
    expect(
      await client.request('subscribe', { room: 'photo:dave-1' }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    expect(
      await client.request('subscribe', { room: 'photo:carol-1' }),
    ).toEqual({ ok: true });
    await waitUntil(
      () => ofUser('carol', 'client.subscribed').length === 2,
      5000,
      'client.subscribed',
    );
    expect(ofUser('carol', 'client.subscribed').map(e => e.data)).toEqual([
      {
        userId: 'carol',
        clientId: 'phone',
        socketId: client.established.socketId,
        room: 'lobby',
        instanceId: client.established.instanceId,
        timestamp: expect.any(String),
      },
      expect.objectContaining({ room: 'photo:carol-1' }),
    ]);
  });

  it('takes a message sent without an ack callback (as seed 003 sends them) with its payload as it is', async () => {
    const client = await connect(urlB, 'lena');
    client.socket.emit('subscribe', { room: 'lobby' });
    await waitUntil(
      () => ofUser('lena', 'client.subscribed').length === 1,
      5000,
      'client.subscribed',
    );
    expect(ofUser('lena', 'client.subscribed')[0].data).toMatchObject({
      room: 'lobby',
    });
  });

  it('emits plain system.* events to every socket on every instance, once each, and nothing twice with broadcast: true', async () => {
    const onA = await connect(urlA, 'erin');
    const onB = await connect(urlB, 'frank');
    const publisher = b.get(EventBusService);
    await publisher.publish('system.health', { status: 'degraded' });
    await publisher.publish('system.maintenance', { at: 'soon' }, {});
    await publisher.broadcast('system.notice', { text: 'both ways' });
    await publisher.publishToUser('erin', 'system.private', { only: 'erin' });
    // Not a global pattern: stays on the bus.
    await publisher.publish('billing.health', { status: 'ok' });
    // A socket may publish system.fake (allowlisted), but never to every other socket.
    expect(
      await onB.request('publish', { type: 'system.fake', data: { x: 1 } }),
    ).toMatchObject({ ok: true });
    await publisher.broadcast('marker.event', {});
    const [gotA, gotB] = await Promise.all([
      onA.events.until(isMarker),
      onB.events.until(isMarker),
    ]);
    const types = (events: ClientEvent[]) => events.map(e => e.type);
    expect(types(gotA)).toEqual([
      'system.health',
      'system.maintenance',
      'system.notice',
      'system.private',
    ]);
    expect(types(gotB)).toEqual([
      'system.health',
      'system.maintenance',
      'system.notice',
    ]);
    // The shape of room events, in `global`.
    expect(gotB[0]).toEqual({
      id: expect.any(String),
      type: 'system.health',
      data: { status: 'degraded' },
      timestamp: expect.any(String),
      room: 'global',
    });
  });

  it('emits only the globalEvents patterns given', async () => {
    const [c, urlC] = await start({ globalEvents: ['ops.*'] });
    try {
      const client = await connect(urlC, 'gina');
      const publisher = a.get(EventBusService);
      await publisher.publish('system.health', { status: 'ok' });
      await publisher.publish('ops.deploy', { version: 2 });
      await publisher.broadcast('marker.event', {});
      expect((await client.events.until(isMarker)).map(e => e.type)).toEqual([
        'ops.deploy',
      ]);
    } finally {
      await c.close();
    }
  });

  it('reports activeRooms, connectedClients and uptime in its stats and health', async () => {
    const gateway = a.get(EventBusGatewayService);
    const before = gateway.getStats();
    const one = await connect(urlA, 'hana', { clientId: 'tab' });
    await connect(urlA, 'hana', { clientId: 'tab' });
    await connect(urlA, 'hana', { clientId: 'phone' });
    expect(await one.request('subscribe', { room: 'photo:hana-9' })).toEqual({
      ok: true,
    });
    const stats = gateway.getStats();
    // user:hana, client:hana:tab, client:hana:phone, photo:hana-9 (global was there already, or is new)
    expect(stats.connectedClients - before.connectedClients).toBe(2);
    expect(stats.activeRooms - before.activeRooms).toBeGreaterThanOrEqual(4);
    expect(stats.activeRooms - before.activeRooms).toBeLessThanOrEqual(5);
    expect(stats.uptime).toEqual(expect.any(Number));
    expect(gateway.health()).toMatchObject({
      healthy: true,
      sockets: stats.sockets,
      connectedClients: stats.connectedClients,
      activeRooms: stats.activeRooms,
    });
  });

  it('sendToClient: true when the device has a socket on any instance (and it gets the event), false when it has none', async () => {
    const phone = await connect(urlB, 'ivan', { clientId: 'phone' });
    const laptop = await connect(urlA, 'ivan', { clientId: 'laptop' });
    const gateway = a.get(EventBusGatewayService);
    expect(
      await gateway.sendToClient('ivan', 'phone', 'device.notice', {
        photoId: 'p1',
      }),
    ).toBe(true);
    expect(
      await gateway.sendToClient('ivan', 'tablet', 'device.notice', {
        photoId: 'p2',
      }),
    ).toBe(false);
    await a.get(EventBusService).publishToUser('ivan', 'marker.event', {});
    const got = await phone.events.until(isMarker);
    expect(got).toEqual([
      expect.objectContaining({
        type: 'device.notice',
        data: { photoId: 'p1' },
        room: 'client:ivan:phone',
      }),
    ]);
    expect(await laptop.events.until(isMarker)).toEqual([]);
  });

  it('applies pingInterval, pingTimeout and perMessageDeflate to the engine', async () => {
    const client = await connect(urlA, 'jane');
    // engine.io-client keeps the handshake's values in these (private) fields; ws the negotiated extensions.
    const engine = client.socket.io.engine as unknown as {
      _pingInterval: number;
      _pingTimeout: number;
      transport: { ws?: { extensions?: string } };
    };
    expect(engine._pingInterval).toBe(4000);
    expect(engine._pingTimeout).toBe(7000);
    expect(engine.transport.ws?.extensions).toMatch(/permessage-deflate/);
    const plain = await connect(urlB, 'jane');
    const defaults = plain.socket.io.engine as unknown as typeof engine;
    expect(defaults._pingInterval).toBe(25_000);
    expect(defaults._pingTimeout).toBe(20_000);
    expect(defaults.transport.ws?.extensions ?? '').not.toMatch(
      /permessage-deflate/,
    );
  });

  it('refuses binary data on the bus (Redis) and from a socket, naming the field and saying to base64-encode', async () => {
    const bus = a.get(EventBusService);
    const error = await bus
      .publish('photo.raw', { image: Buffer.from('abc') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).field).toBe('data.image');
    expect((error as Error).message).toMatch(/base64/i);
    const client = await connect(urlA, 'kim');
    const ack = await client.request('publish', {
      type: 'chat.message',
      data: { text: 'hi', room: 'lobby', attachment: new Uint8Array(20_000) },
    });
    expect(ack).toMatchObject({ ok: false, code: 'invalid' });
    expect(ack.error).toContain('field "data.attachment" is binary');
    expect(ack.error).toMatch(/base64/);
  });
});
