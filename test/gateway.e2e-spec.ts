import type { INestApplication, Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { MessageLog, NoLobbyForMallory } from './fixtures/gateway/enhancers.js';
import { NestFactory } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import {
  EventBusService,
  type EventBusModuleOptions,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { Registry } from 'prom-client';
import { parseMetrics, sampleValue } from './utils/prometheus.js';
import {
  type EventBusGatewayOptions,
  EventBusGatewayService,
  EventBusIoAdapter,
  type RoomSignal,
} from '@shared-infra/event-bus/gateway';
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { io } from 'socket.io-client';
import { GatewayAppModule } from './fixtures/gateway/gateway-app.module.js';
import { waitUntil } from './utils/collector.js';
import {
  connectClient,
  connectError,
  isMarker,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

/**
 * The gateway on one instance (memory transport, in the test process): what a
 * socket may do and what it gets. The two-instance behaviour is in
 * gateway-instances.e2e-spec.ts.
 */
describe('Gateway on one instance', () => {
  let app: INestApplication;
  let url: string;
  let bus: EventBusService;
  let gateway: EventBusGatewayService;
  const clients: TestClient[] = [];

  const connect = async (
    userId: string,
    claims: Record<string, unknown> = {},
  ) => {
    const client = await connectClient(url, {
      token: tokenFor(userId, claims),
    });
    clients.push(client);
    return client;
  };

  const start = async (
    options: Partial<EventBusGatewayOptions> = {},
    providers: Provider[] = [],
    busOptions: Partial<EventBusModuleOptions> = {},
  ) => {
    await app?.close();
    app = await NestFactory.create(
      GatewayAppModule.forRoot(
        { transport: 'memory', ...busOptions },
        {
          rateLimit: { burst: 30, perSecond: 20, disconnectAfter: 200 },
          maxHttpBufferSize: 32 * 1024,
          ...options,
        },
        providers,
      ),
      { logger: ['error'], abortOnError: false },
    );
    app.useWebSocketAdapter(new EventBusIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    bus = app.get(EventBusService);
    gateway = app.get(EventBusGatewayService);
  };

  beforeAll(() => start());

  afterEach(() => {
    clients.splice(0).forEach(c => c.close());
  });

  afterAll(async () => {
    await app?.close();
  });

  describe('handshake', () => {
    it('accepts a valid token and puts the socket in its own rooms', async () => {
      const client = await connect('alice', {
        clientId: 'laptop',
        sessionId: 's1',
      });
      expect(client.established).toMatchObject({
        userId: 'alice',
        clientId: 'laptop',
        rooms: [
          'user:alice',
          'client:alice:laptop',
          'session:alice:s1',
          'global',
        ],
      });
    });

    it('accepts the token from an Authorization header', async () => {
      const client = await connectClient(url, undefined, {
        transports: ['polling'],
        extraHeaders: { authorization: `Bearer ${tokenFor('carol')}` },
      });
      clients.push(client);
      expect(client.established.userId).toBe('carol');
    });

    it.each([
      ['no token', undefined, /missing token/],
      [
        'a token signed with another secret',
        {
          token: new JwtService({
            secret: 'another-secret-of-enough-length-000000',
          }).sign({ sub: 'alice' }),
        },
        /invalid token/,
      ],
      ['garbage', { token: 'not-a-jwt' }, /invalid token/],
      [
        'an expired token',
        { token: tokenFor('alice', {}, -10) },
        /token expired/,
      ],
      ['a token without a subject', { token: tokenFor('') }, /subject/],
      [
        'a token of a malformed user id',
        { token: tokenFor('bob{x}') },
        /subject/,
      ],
      [
        'a token whose clientId claim is malformed',
        { token: tokenFor('alice', { clientId: 'x:y' }), clientId: 'phone' },
        /token claim "clientId" is not a valid client id/,
      ],
      [
        'a token whose client_id claim is malformed',
        { token: tokenFor('alice', { client_id: 'a b' }) },
        /token claim "client_id" is not a valid client id/,
      ],
    ])(
      'refuses %s with connect_error "unauthorized" and a reason',
      async (_what, auth, reason) => {
        const error = await connectError(
          url,
          auth as Record<string, unknown> | undefined,
        );
        expect(error.message).toBe('unauthorized');
        expect(error.data?.reason).toMatch(reason);
      },
    );
  });

  describe('handshake: a malformed auth.clientId', () => {
    it('is ignored, as if absent: the socket id names the client', async () => {
      const client = await connectClient(url, {
        token: tokenFor('alice'),
        clientId: 'c:1',
      });
      clients.push(client);
      expect(client.established.clientId).not.toBe('c:1');
      expect(client.established.rooms).toContain(
        `client:alice:${client.established.clientId}`,
      );
    });
  });

  describe('handshake with a public key (RS256)', () => {
    it('accepts tokens signed with the private key, refuses HS256 tokens made with the public key as a secret', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      await start({ jwt: { publicKey } });
      const signed = new JwtService({
        privateKey,
        signOptions: { algorithm: 'RS256' },
      }).sign({ sub: 'rita' });
      const client = await connectClient(url, { token: signed });
      clients.push(client);
      expect(client.established.userId).toBe('rita');
      const confused = new JwtService({ secret: publicKey }).sign({
        sub: 'mallory',
      });
      expect(
        (await connectError(url, { token: confused })).data?.reason,
      ).toMatch(/invalid token/);
      await start();
    });
  });

  describe('rooms', () => {
    it("refuses another user's rooms and rooms the policy does not allow", async () => {
      const alice = await connect('alice');
      for (const room of [
        'user:bob',
        'client:someone',
        'session:x',
        'photo:bob-1',
        'secret',
      ]) {
        expect(await alice.request('subscribe', { room })).toMatchObject({
          ok: false,
          code: 'forbidden',
        });
      }
      expect(
        await alice.request('subscribe', { room: 'photo:alice-1' }),
      ).toEqual({ ok: true });
      expect(await alice.request('subscribe', { room: 'lobby' })).toEqual({
        ok: true,
      });
    });

    it('answers malformed subscribe requests with invalid', async () => {
      const alice = await connect('alice');
      for (const payload of [
        {},
        { room: 42 },
        { room: 'has space' },
        { room: 'a'.repeat(200) },
        { room: '{tag}' },
        { room: 'lobby', lastEventId: 'nope' },
        'lobby',
        null,
        [1, 2],
      ]) {
        expect(await alice.request('subscribe', payload)).toMatchObject({
          ok: false,
          code: 'invalid',
        });
      }
    });

    it('delivers room, user and broadcast events to the right sockets only, each once', async () => {
      const alice = await connect('alice');
      const alicePhone = await connect('alice', { clientId: 'phone' });
      const bob = await connect('bob');
      expect(
        await alice.request('subscribe', { room: 'photo:alice-7' }),
      ).toEqual({ ok: true });

      await bus.publishToRoom('photo:alice-7', 'photo.processing.progress', {
        photoId: 'alice-7',
        progress: 50,
      } as never);
      await bus.publishToUser('alice', 'notification.created', {
        text: 'hi',
      } as never);
      await bus.broadcast('system.maintenance', { at: 'now' } as never);
      await bus.publish('photo.deleted', { photoId: 'alice-7' } as never); // not for sockets
      await bus.broadcast('marker.event', {} as never);

      await alice.events.waitFor(3);
      await alicePhone.events.waitFor(2);
      await bob.events.waitFor(1);
      expect(
        (await alice.events.until(isMarker)).map(e => `${e.type}@${e.room}`),
      ).toEqual([
        'photo.processing.progress@photo:alice-7',
        'notification.created@user:alice',
        'system.maintenance@global',
      ]);
      expect(
        (await alicePhone.events.until(isMarker)).map(e => e.type),
      ).toEqual(['notification.created', 'system.maintenance']);
      expect((await bob.events.until(isMarker)).map(e => e.type)).toEqual([
        'system.maintenance',
      ]);
      const [progress] = alice.events.items;
      expect(progress).toEqual({
        id: expect.stringMatching(/^[0-9A-Z]{26}$/),
        type: 'photo.processing.progress',
        data: { photoId: 'alice-7', progress: 50 },
        timestamp: expect.any(String),
        room: 'photo:alice-7',
      });
    });

    it('stops delivering after unsubscribe', async () => {
      const alice = await connect('alice');
      await alice.request('subscribe', { room: 'lobby' });
      expect(await alice.request('unsubscribe', { room: 'lobby' })).toEqual({
        ok: true,
      });
      await bus.publishToRoom('lobby', 'lobby.message', { text: 'x' } as never);
      await bus.publishToUser('alice', 'marker.event', {} as never);
      expect(await alice.events.until(isMarker)).toEqual([]);
    });

    it('caps the rooms of a socket', async () => {
      await start({ maxRoomsPerSocket: 5, authorizeRoom: () => true });
      const alice = await connect('alice');
      // 3 own rooms (user, client, global) + 2 more
      expect(await alice.request('subscribe', { room: 'r1' })).toEqual({
        ok: true,
      });
      expect(await alice.request('subscribe', { room: 'r2' })).toEqual({
        ok: true,
      });
      expect(await alice.request('subscribe', { room: 'r3' })).toMatchObject({
        ok: false,
        code: 'too_many_rooms',
      });
      expect(await alice.request('subscribe', { room: 'r2' })).toEqual({
        ok: true,
      });
      await start();
    });
  });

  describe('app enhancers and transports', () => {
    it("runs the app's global guards and interceptors on the gateway's messages", async () => {
      await start({}, [
        { provide: APP_GUARD, useClass: NoLobbyForMallory },
        { provide: APP_INTERCEPTOR, useClass: MessageLog },
      ]);
      const mallory = await connect('mallory');
      const alice = await connect('alice');
      expect(
        await mallory.request('subscribe', { room: 'lobby' }),
      ).toMatchObject({ ok: false, code: 'forbidden' });
      expect(await alice.request('subscribe', { room: 'lobby' })).toEqual({
        ok: true,
      });
      expect(await alice.request('ping')).toMatchObject({ ok: true });
      expect(MessageLog.seen).toEqual(['subscribe', 'ping']);
      await start();
    });

    it('binds message handlers with EventBusIoAdapter (lighter per socket) when the app set no adapter', async () => {
      const adapter = (
        app as unknown as { config: { getIoAdapter(): unknown } }
      ).config.getIoAdapter();
      expect(adapter).toBeInstanceOf(EventBusIoAdapter);
      // Handlers answer through it: acks, validation errors and guards were checked above.
      const alice = await connect('alice');
      expect(await alice.request('ping')).toMatchObject({ ok: true });
    });

    it('falls back to long-polling, with the same events and size limit', async () => {
      const client = await connectClient(
        url,
        { token: tokenFor('polly') },
        { transports: ['polling'] },
      );
      clients.push(client);
      expect(client.socket.io.engine.transport.name).toBe('polling');
      await bus.publishToUser('polly', 'notification.created', {
        text: 'over polling',
      } as never);
      const [event] = await client.events.waitFor(1);
      expect(event.data).toEqual({ text: 'over polling' });
      const closed = new Promise(resolve =>
        client.socket.once('disconnect', resolve),
      );
      client.socket.emit('subscribe', {
        room: 'lobby',
        padding: 'x'.repeat(40 * 1024),
      });
      expect(await closed).toMatch(/transport (close|error)/);
    });

    it("reports sockets, emitted events and refusals in the bus' Prometheus registry", async () => {
      const registry = new Registry();
      await start({}, [], { metrics: { enabled: true, registry } });
      const alice = await connect('alice');
      await connect('alice', { clientId: 'phone' });
      await connect('bob');
      await connectError(url, { token: 'nope' });
      expect(
        await alice.request('subscribe', { room: 'user:bob' }),
      ).toMatchObject({ code: 'forbidden' });
      await bus.publishToUser('alice', 'notification.created', {
        text: 'x',
      } as never);
      await alice.events.waitFor(1);
      const samples = parseMetrics(await registry.metrics());
      expect(sampleValue(samples, 'eventbus_gateway_sockets')).toBe(3);
      expect(sampleValue(samples, 'eventbus_gateway_users')).toBe(2);
      expect(
        sampleValue(samples, 'eventbus_gateway_events_emitted_total'),
      ).toBe(1);
      expect(
        sampleValue(samples, 'eventbus_gateway_rejected_total', {
          reason: 'unauthorized',
        }),
      ).toBe(1);
      expect(
        sampleValue(samples, 'eventbus_gateway_rejected_total', {
          reason: 'forbidden',
        }),
      ).toBe(1);
      await start();
    });

    it('lets browsers in only from allowed origins', async () => {
      await start({ corsOrigins: ['https://app.example.com'] });
      const handshake = (origin: string) =>
        fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
          headers: { origin },
        }).then(async res => ({
          status: res.status,
          allow: res.headers.get('access-control-allow-origin'),
        }));
      expect(await handshake('https://app.example.com')).toEqual({
        status: 200,
        allow: 'https://app.example.com',
      });
      expect((await handshake('https://evil.example.com')).status).toBe(403);
      const preflight = await fetch(
        `${url}/socket.io/?EIO=4&transport=polling`,
        { method: 'OPTIONS', headers: { origin: 'https://app.example.com' } },
      );
      expect(preflight.status).toBe(204);
      await start();
    });
  });

  describe('recovery', () => {
    it('replays exactly the missed events in order, then live ones', async () => {
      const alice = await connect('alice');
      await alice.request('subscribe', { room: 'photo:alice-9' });
      await bus.publishToRoom('photo:alice-9', 'photo.step', { n: 0 } as never);
      const [seen] = await alice.events.waitFor(1);
      alice.close();
      for (let n = 1; n <= 5; n++)
        await bus.publishToRoom('photo:alice-9', 'photo.step', { n } as never);

      const again = await connect('alice');
      const ack = await again.request('subscribe', {
        room: 'photo:alice-9',
        lastEventId: seen.id,
      });
      expect(ack).toEqual({ ok: true, recovered: true, replayed: 5 });
      await bus.publishToRoom('photo:alice-9', 'photo.step', { n: 6 } as never);
      await bus.publishToRoom('photo:alice-9', 'marker.event', {} as never);
      await again.events.waitFor(6);
      expect(
        (await again.events.until(isMarker)).map(
          e => (e.data as { n: number }).n,
        ),
      ).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('acks recovered: false when the last event id is not kept', async () => {
      const alice = await connect('alice');
      const ack = await alice.request('subscribe', {
        room: 'photo:alice-10',
        lastEventId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
      });
      expect(ack).toEqual({ ok: true, recovered: false, replayed: 0 });
      await bus.publishToRoom('photo:alice-10', 'photo.step', {
        n: 1,
      } as never);
      await alice.events.waitFor(1);
    });
  });

  describe('abuse', () => {
    it('answers ping with the server time', async () => {
      const alice = await connect('alice');
      const ack = await alice.request('ping');
      expect(ack).toEqual({ ok: true, serverTime: expect.any(String) });
      expect(Math.abs(Date.parse(ack.serverTime!) - Date.now())).toBeLessThan(
        60_000,
      );
    });

    it('acks rate_limited past the burst, and disconnects a socket that keeps going', async () => {
      const alice = await connect('alice');
      const acks = await Promise.all(
        Array.from({ length: 60 }, () => alice.request('ping')),
      );
      const limited = acks.filter(a => a.code === 'rate_limited');
      expect(limited.length).toBeGreaterThan(0);
      expect(acks.filter(a => a.ok).length).toBeGreaterThanOrEqual(30);
      const disconnected = new Promise(resolve =>
        alice.socket.once('disconnect', resolve),
      );
      for (let i = 0; i < 400; i++) alice.socket.emit('ping');
      expect(await disconnected).toBe('io server disconnect');
      expect(gateway.getStats().rejected.disconnectedForAbuse).toBeGreaterThan(
        0,
      );
    });

    it('closes the connection of a client that sends an oversize message', async () => {
      const alice = await connect('alice');
      const disconnected = new Promise(resolve =>
        alice.socket.once('disconnect', resolve),
      );
      alice.socket.emit('subscribe', {
        room: 'lobby',
        padding: 'x'.repeat(40 * 1024),
      });
      expect(await disconnected).toBe('transport close');
      const again = await connect('alice');
      expect(await again.request('ping')).toMatchObject({ ok: true });
    });

    it('survives 1,000 random and malformed messages, then serves a fresh client', async () => {
      const junk: unknown[] = [
        null,
        0,
        -1,
        1e308,
        '',
        'x'.repeat(1000),
        [],
        [[[[]]]],
        {},
        { room: null },
        { room: { $gt: '' } },
        { __proto__: { admin: true } },
        { constructor: { prototype: 1 } },
        Buffer.from([0, 255, 1]),
        true,
        { room: 'lobby', lastEventId: 42 },
      ];
      const names = [
        'subscribe',
        'unsubscribe',
        'ping',
        'publish',
        'disconnect_me',
        '',
        'x'.repeat(300),
        '__proto__',
        'constructor',
        'photo.uploaded',
      ];
      let sent = 0;
      const random = (n: number) => Math.floor(Math.random() * n);
      while (sent < 1000) {
        const client = await connect(`user${random(5)}`);
        for (let i = 0; i < 25 && client.socket.connected; i++, sent++) {
          const name = names[random(names.length)];
          const args = [
            junk[random(junk.length)],
            junk[random(junk.length)],
          ].slice(0, random(3));
          if (random(2)) client.socket.emit(name, ...args, () => undefined);
          else client.socket.emit(name, ...args);
        }
        // Raw engine.io / socket.io frames that are not valid packets.
        const raw = io(url, {
          auth: { token: tokenFor('raw') },
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
        });
        await new Promise<void>(resolve => {
          raw.once('connect', () => {
            const engine = raw.io.engine;
            for (const frame of [
              '4',
              '42',
              '42[',
              '4{"a":1}',
              '49[1]',
              '2probe',
              '6',
              '42["x",{"a":' + '['.repeat(200),
              '45-["x"]',
              '\u0000\u0001',
            ])
              engine.send(frame);
            sent += 10;
            resolve();
          });
          raw.once('connect_error', () => resolve());
        });
        raw.close();
        client.close();
      }
      const fresh = await connect('fresh');
      expect(await fresh.request('ping')).toMatchObject({ ok: true });
      await bus.publishToUser('fresh', 'still.alive', {} as never);
      await fresh.events.waitFor(1);
    });
  });

  describe('client events and signals', () => {
    it('puts an allowed client event on the bus with the sender in its metadata', async () => {
      const received: EventEnvelope[] = [];
      const sub = await bus.subscribe('**', e => void received.push(e));
      const alice = await connect('alice', {
        clientId: 'laptop',
        sessionId: 's9',
      });
      const ack = await alice.request('publish', {
        type: 'chat.message',
        data: { text: 'hello' },
      });
      expect(ack).toEqual({
        ok: true,
        eventId: expect.stringMatching(/^[0-9A-Z]{26}$/),
      });
      await waitUntil(
        () => received.some(e => e.id === ack.eventId),
        3000,
        'the client event on the bus',
      );
      const event = received.find(e => e.id === ack.eventId)!;
      expect(event).toMatchObject({
        type: 'chat.message',
        data: { text: 'hello' },
        metadata: {
          source: 'gateway',
          userId: 'alice',
          clientId: 'laptop',
          sessionId: 's9',
        },
      });
      // An event from a client is not addressed to the sender's devices.
      await bus.publishToUser('alice', 'marker.event', {} as never);
      expect(await alice.events.until(isMarker)).toEqual([]);
      await sub.unsubscribe();
    });

    it('refuses forbidden, invalid and oversize client events, and none reaches a handler', async () => {
      const received: EventEnvelope[] = [];
      const sub = await bus.subscribe('**', e => void received.push(e));
      const alice = await connect('alice');
      const writer = await connect('walter', { permissions: ['photos:write'] });
      expect(
        await alice.request('publish', {
          type: 'photo.delete.requested',
          data: { photoId: '1' },
        }),
      ).toMatchObject({ ok: false, code: 'forbidden' });
      expect(
        await alice.request('publish', { type: 'system.shutdown', data: {} }),
      ).toMatchObject({ ok: false, code: 'forbidden' });
      expect(
        await alice.request('publish', {
          type: 'chat.message',
          data: { text: 42 },
        }),
      ).toMatchObject({ ok: false, code: 'invalid' });
      expect(
        await alice.request('publish', { type: 'Not A Type', data: {} }),
      ).toMatchObject({ ok: false, code: 'invalid' });
      expect(
        await alice.request('publish', {
          type: 'chat.message',
          data: { text: 'x'.repeat(17 * 1024) },
        }),
      ).toMatchObject({ ok: false, code: 'too_large' });
      // A valid one after them: once it is on the bus, none of the refused ones got there.
      const marker = await alice.request('publish', {
        type: 'chat.message',
        data: { text: 'marker' },
      });
      await waitUntil(
        () => received.some(e => e.id === marker.eventId),
        3000,
        'the valid client event on the bus',
      );
      expect(
        received.filter(
          e => e.metadata.source === 'gateway' && e.id !== marker.eventId,
        ),
      ).toEqual([]);
      expect(
        await writer.request('publish', {
          type: 'photo.delete.requested',
          data: { photoId: '1' },
        }),
      ).toMatchObject({ ok: true });
      await sub.unsubscribe();
    });

    it('relays signals to the other members of the room only, and typing stops by itself', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      const carol = await connect('carol');
      await alice.request('subscribe', { room: 'lobby' });
      await bob.request('subscribe', { room: 'lobby' });
      const signals = (client: TestClient) =>
        client.events.items.filter(
          e => (e as unknown as RoomSignal).kind !== undefined,
        ) as unknown as RoomSignal[];

      expect(
        await carol.request('signal', { room: 'lobby', kind: 'typing' }),
      ).toMatchObject({ ok: false, code: 'forbidden' });
      expect(
        await alice.request('signal', { room: 'lobby', kind: 'Bad Kind' }),
      ).toMatchObject({ ok: false, code: 'invalid' });
      expect(
        await alice.request('signal', {
          room: 'lobby',
          kind: 'read',
          data: { big: 'x'.repeat(2000) },
        }),
      ).toMatchObject({ ok: false, code: 'too_large' });

      const started = Date.now();
      expect(
        await alice.request('signal', { room: 'lobby', kind: 'typing' }),
      ).toEqual({ ok: true });
      await waitUntil(
        () => signals(bob).length === 1,
        3000,
        'typing started at bob',
      );
      expect(signals(bob)[0]).toMatchObject({
        room: 'lobby',
        kind: 'typing',
        state: 'started',
        from: { userId: 'alice' },
      });
      await waitUntil(
        () => signals(bob).length === 2,
        3000,
        'typing stopped at bob',
      );
      expect(signals(bob)[1]).toMatchObject({
        kind: 'typing',
        state: 'stopped',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);

      const [last] = await (async () => {
        await bus.publishToRoom('lobby', 'lobby.message', {
          text: 'hi',
        } as never);
        return bob.events.waitFor(3).then(items => items.slice(-1));
      })();
      expect(
        await bob.request('signal', {
          room: 'lobby',
          kind: 'read',
          data: { lastEventId: last.id },
        }),
      ).toEqual({ ok: true });
      await waitUntil(
        () => signals(alice).length === 1,
        3000,
        'read receipt at alice',
      );
      expect(signals(alice)[0]).toMatchObject({
        kind: 'read',
        data: { lastEventId: last.id },
        from: { userId: 'bob' },
      });

      // The sender never hears its own signals; carol, outside the room, hears none.
      expect(signals(alice).every(s => s.from.userId !== 'alice')).toBe(true);
      expect(signals(bob).every(s => s.from.userId !== 'bob')).toBe(true);
      expect(signals(carol)).toEqual([]);
    });

    it('sends typing stopped when the typist disconnects', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      await alice.request('subscribe', { room: 'lobby' });
      await bob.request('subscribe', { room: 'lobby' });
      await alice.request('signal', { room: 'lobby', kind: 'typing' });
      await bob.events.waitFor(1);
      alice.close();
      const [, stopped] = await bob.events.waitFor(2, 400);
      expect(stopped).toMatchObject({
        kind: 'typing',
        state: 'stopped',
        from: { userId: 'alice' },
      });
    });
  });

  describe('presence (one instance)', () => {
    it('is online from the first session to the last, with a last-seen time after', async () => {
      const online: string[] = [];
      const sub = await bus.subscribe(
        'user.*',
        e =>
          void online.push(
            `${e.type}:${(e.data as { userId: string }).userId}`,
          ),
      );
      // Published once the tracker recorded a session gone: after it, isUserOnline has decided.
      const left: string[] = [];
      const leftSub = await bus.subscribe(
        'client.disconnected',
        e => void left.push((e.data as { clientId: string }).clientId),
      );
      const first = await connect('dave');
      await waitUntil(() => gateway.isUserOnline('dave'), 3000, 'dave online');
      const second = await connect('dave', { clientId: 'phone' });
      first.close();
      await waitUntil(
        () => left.includes(first.established.clientId),
        3000,
        'the first session recorded gone',
      );
      expect(await gateway.isUserOnline('dave')).toBe(true);
      second.close();
      await waitUntil(
        async () => !(await gateway.isUserOnline('dave')),
        3000,
        'dave offline',
      );
      await waitUntil(() => online.length >= 2, 3000, 'presence events');
      expect(online.filter(e => e.endsWith(':dave'))).toEqual([
        'user.online:dave',
        'user.offline:dave',
      ]);
      expect(await gateway.getLastSeen('dave')).toEqual(expect.any(String));
      await sub.unsubscribe();
      await leftSub.unsubscribe();
    });
  });
});
