import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { EventEnvelope } from '@shared-infra/event-bus';
import {
  ClientAckError,
  ClientAuthError,
  connect,
  type ClientEvent,
  type ConnectionState,
  type EventBusClient,
  type EventBusClientOptions,
  type RoomSignal,
} from '@shared-infra/event-bus-client';
import {
  CLIENT_EVENT_MAX_BYTES,
  TYPING_TIMEOUT_MS,
} from './fixtures/client-sdk/client-sdk-app.module.js';
import { TcpProxy } from './fixtures/client-sdk/tcp-proxy.js';
import { RedisServer } from './setup/redis-server.js';
import { ChildApp } from './utils/child-app.js';
import { Collector, waitUntil } from './utils/collector.js';
import { tokenFor } from './utils/gateway-client.js';

const INSTANCE = 'client-sdk/client-sdk-instance.main';
const step = (event: ClientEvent) => (event.data as { n: number }).n;
/** The step a test publishes after the events under test: a socket gets a room's events in order. */
const MARKER = -1;
const isMarker = (event: ClientEvent) => step(event) === MARKER;
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The client SDK in Node against two gateway instances in separate processes on
 * one Redis, reached through a TCP proxy that plays the load balancer: what a
 * browser tab goes through when its instance or its network goes away.
 */
describe('Client SDK against two gateway instances', () => {
  let redis: RedisServer;
  let a: ChildApp;
  let b: ChildApp;
  let portA: number;
  let portB: number;
  let urlA: string;
  let urlB: string;
  let instanceA: string;
  let instanceB: string;
  const clients: EventBusClient[] = [];
  const proxies: TcpProxy[] = [];

  const client = (
    options: Partial<EventBusClientOptions> & { url: string },
  ): EventBusClient => {
    const created = connect({
      transports: ['websocket'],
      reconnection: { delayMs: 100, maxDelayMs: 400 },
      ackTimeoutMs: 5000,
      ...options,
    });
    clients.push(created);
    return created;
  };
  const proxy = async (target: number | null) => {
    const created = await TcpProxy.start(target);
    proxies.push(created);
    return created;
  };
  const states = (of: EventBusClient) => {
    const seen: ConnectionState[] = [];
    of.state.subscribe(state => seen.push(state));
    return seen;
  };
  /** Events the instances' bus handlers got from browsers (chat.**, photo.delete.requested). */
  const clientEvents = (app: ChildApp) =>
    app.events.items
      .filter(e => e.handler === 'client-events')
      .map(e => e.event);

  beforeAll(async () => {
    redis = await RedisServer.start();
    [a, b] = await Promise.all([
      ChildApp.start(INSTANCE, { REDIS_URL: redis.url }),
      ChildApp.start(INSTANCE, { REDIS_URL: redis.url }),
    ]);
    [portA, portB] = await Promise.all([
      a.request<number>({ cmd: 'port' }),
      b.request<number>({ cmd: 'port' }),
    ]);
    urlA = `http://127.0.0.1:${portA}`;
    urlB = `http://127.0.0.1:${portB}`;
    [instanceA, instanceB] = await Promise.all([
      a.request<string>({ cmd: 'instanceId' }),
      b.request<string>({ cmd: 'instanceId' }),
    ]);
  });

  afterEach(async () => {
    clients.splice(0).forEach(c => c.close());
    await Promise.all(proxies.splice(0).map(p => p.close()));
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  describe('recovery', () => {
    it('replays the 20 events missed during a network drop, after reconnecting to the other instance: in order, none twice, no app code', async () => {
      const lb = await proxy(portA);
      const failed: string[] = [];
      const sdk = client({
        url: lb.url,
        getToken: () => tokenFor('alice'),
        onRecoveryFailed: r => failed.push(r),
      });
      const seen = states(sdk);
      const room = new Collector<ClientEvent>();
      const notifications = new Collector<ClientEvent>();
      await sdk.ready();
      expect(sdk.identity).toMatchObject({
        userId: 'alice',
        instanceId: instanceA,
        rooms: expect.arrayContaining(['user:alice', 'global']),
      });
      sdk.on('notification.created', event => notifications.push(event));
      await sdk.subscribe('photo:alice-r1', event => room.push(event));

      for (const n of [0, 1, 2])
        await a.request({
          cmd: 'publishToRoom',
          room: 'photo:alice-r1',
          type: 'photo.step',
          data: { n },
        });
      await b.request({
        cmd: 'publishToUser',
        userId: 'alice',
        type: 'notification.created',
        data: { n: 0 },
      });
      await room.waitFor(3);
      await notifications.waitFor(1);

      // The network goes: the open connection is cut and the balancer cannot reach anyone for a while.
      lb.retarget(null);
      lb.dropAll();
      await waitUntil(
        () => sdk.state.value === 'disconnected',
        5000,
        'the client to notice the drop',
      );
      for (const n of range(3, 22))
        await a.request({
          cmd: 'publishToRoom',
          room: 'photo:alice-r1',
          type: 'photo.step',
          data: { n },
        });
      for (const n of [1, 2])
        await a.request({
          cmd: 'publishToUser',
          userId: 'alice',
          type: 'notification.created',
          data: { n },
        });
      await waitUntil(
        () => lb.refused >= 2,
        5000,
        'a few refused reconnection attempts',
      );

      // The balancer now sends the client to instance B; more events go to the user while it recovers.
      lb.retarget(portB);
      const duringRecovery = (async () => {
        for (const n of range(3, 12))
          await b.request({
            cmd: 'publishToUser',
            userId: 'alice',
            type: 'notification.created',
            data: { n },
          });
      })();
      await waitUntil(
        () => sdk.state.value === 'connected',
        10_000,
        'the client to recover',
      );
      await duringRecovery;
      expect(sdk.identity?.instanceId).toBe(instanceB);
      await b.request({
        cmd: 'publishToRoom',
        room: 'photo:alice-r1',
        type: 'photo.step',
        data: { n: 23 },
      });
      await b.request({
        cmd: 'publishToRoom',
        room: 'photo:alice-r1',
        type: 'photo.step',
        data: { n: MARKER },
      });
      await b.request({
        cmd: 'publishToUser',
        userId: 'alice',
        type: 'notification.created',
        data: { n: MARKER },
      });

      await room.waitFor(24);
      const got = await room.until(isMarker);
      expect(got.map(step)).toEqual(range(0, 23));
      expect(new Set(got.map(e => e.id)).size).toBe(24);
      await notifications.waitFor(13);
      const notes = await notifications.until(isMarker);
      expect(notes.map(step)).toEqual(range(0, 12));
      expect(notes.every(e => e.room === 'user:alice')).toBe(true);
      expect(seen).toEqual([
        'connecting',
        'connected',
        'disconnected',
        'recovering',
        'connected',
      ]);
      expect(failed).toEqual([]);
    });

    it('after the instance it is on shuts down (system.shutdown), reconnects to another one and recovers there', async () => {
      const c = await ChildApp.start(INSTANCE, { REDIS_URL: redis.url });
      const portC = await c.request<number>({ cmd: 'port' });
      const lb = await proxy(portC);
      const sdk = client({ url: lb.url, token: tokenFor('alice') });
      const seen = states(sdk);
      const room = new Collector<ClientEvent>();
      await sdk.ready();
      await sdk.subscribe('photo:alice-r2', event => room.push(event));
      await c.request({
        cmd: 'publishToRoom',
        room: 'photo:alice-r2',
        type: 'photo.step',
        data: { n: 0 },
      });
      await room.waitFor(1);

      lb.retarget(portB);
      await c.stop();
      for (const n of range(1, 5))
        await a.request({
          cmd: 'publishToRoom',
          room: 'photo:alice-r2',
          type: 'photo.step',
          data: { n },
        });
      await waitUntil(
        () =>
          sdk.state.value === 'connected' &&
          sdk.identity?.instanceId === instanceB,
        10_000,
        'the client on instance B',
      );
      await room.waitFor(6);
      await b.request({
        cmd: 'publishToRoom',
        room: 'photo:alice-r2',
        type: 'photo.step',
        data: { n: MARKER },
      });
      expect((await room.until(isMarker)).map(step)).toEqual(range(0, 5));
      expect(seen).toEqual([
        'connecting',
        'connected',
        'disconnected',
        'recovering',
        'connected',
      ]);
    });

    it('reconnects after the server dropped it (disconnectUser) and recovers what was sent meanwhile', async () => {
      const sdk = client({ url: urlA, getToken: () => tokenFor('dora') });
      const room = new Collector<ClientEvent>();
      await sdk.ready();
      await sdk.subscribe('photo:dora-1', event => room.push(event));
      await b.request({
        cmd: 'publishToRoom',
        room: 'photo:dora-1',
        type: 'photo.step',
        data: { n: 0 },
      });
      await room.waitFor(1);
      const seen = states(sdk);
      await b.request({ cmd: 'disconnectUser', userId: 'dora' });
      await waitUntil(
        () => seen.includes('disconnected'),
        5000,
        'dora dropped',
      );
      for (const n of range(1, 3))
        await b.request({
          cmd: 'publishToRoom',
          room: 'photo:dora-1',
          type: 'photo.step',
          data: { n },
        });
      await waitUntil(
        () => sdk.state.value === 'connected',
        10_000,
        'dora back',
      );
      await room.waitFor(4);
      await b.request({
        cmd: 'publishToRoom',
        room: 'photo:dora-1',
        type: 'photo.step',
        data: { n: MARKER },
      });
      expect((await room.until(isMarker)).map(step)).toEqual(range(0, 3));
      expect(seen).toEqual([
        'connected',
        'disconnected',
        'recovering',
        'connected',
      ]);
    });

    it('calls onRecoveryFailed when the room history no longer holds the last event seen, and keeps the room', async () => {
      const lb = await proxy(portA);
      const failed: string[] = [];
      const sdk = client({
        url: lb.url,
        token: tokenFor('alice'),
        onRecoveryFailed: room => failed.push(room),
      });
      const room = new Collector<ClientEvent>();
      await sdk.ready();
      await sdk.subscribe('photo:alice-r3', event => room.push(event));
      // A room that had no event yet has no id to recover from: reported too.
      await sdk.subscribe('photo:alice-quiet', () => undefined);
      await a.request({
        cmd: 'publishToRoom',
        room: 'photo:alice-r3',
        type: 'photo.step',
        data: { n: 0 },
      });
      await room.waitFor(1);
      lb.retarget(null);
      lb.dropAll();
      await waitUntil(
        () => sdk.state.value === 'disconnected',
        5000,
        'the drop',
      );
      // The default history keeps 100 events per room: 120 push the last one seen out.
      for (const n of range(1, 120))
        await a.request({
          cmd: 'publishToRoom',
          room: 'photo:alice-r3',
          type: 'photo.step',
          data: { n },
        });
      lb.retarget(portB);
      await waitUntil(
        () => sdk.state.value === 'connected',
        10_000,
        'the client back',
      );
      expect(failed.sort()).toEqual(['photo:alice-quiet', 'photo:alice-r3']);
      await b.request({
        cmd: 'publishToRoom',
        room: 'photo:alice-r3',
        type: 'photo.step',
        data: { n: 121 },
      });
      await b.request({
        cmd: 'publishToRoom',
        room: 'photo:alice-r3',
        type: 'photo.step',
        data: { n: MARKER },
      });
      await room.waitFor(2);
      expect((await room.until(isMarker)).map(step)).toEqual([0, 121]);
    });
  });

  describe('tokens', () => {
    it('refreshes an expired token through getToken and connects', async () => {
      const tokens = [tokenFor('erin', {}, -10), tokenFor('erin')];
      let calls = 0;
      // The default transports (WebSocket, polling as a fallback).
      const sdk = client({
        url: urlA,
        transports: undefined,
        getToken: async () => tokens[Math.min(calls++, tokens.length - 1)],
      });
      await sdk.ready();
      expect(calls).toBe(2);
      expect(sdk.identity?.userId).toBe('erin');
      expect(sdk.state.value).toBe('connected');
    });

    it('rejects ready() with the reason when a fixed token is refused', async () => {
      const sdk = client({ url: urlA, token: tokenFor('erin', {}, -10) });
      const failure = await sdk.ready().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ClientAuthError);
      expect(failure).toMatchObject({ reason: 'token expired' });
      expect(sdk.state.value).toBe('disconnected');
    });

    it('gives up after maxAuthFailures refusals in a row when getToken keeps failing', async () => {
      let calls = 0;
      const errors: Error[] = [];
      const sdk = client({
        url: urlB,
        getToken: () => (calls++, 'not-a-jwt'),
        maxAuthFailures: 3,
        onError: error => errors.push(error),
      });
      await expect(sdk.ready()).rejects.toMatchObject({
        name: 'ClientAuthError',
        reason: expect.stringMatching(/invalid token/),
      });
      expect(calls).toBe(3);
      expect(errors).toHaveLength(1);
      expect(sdk.state.value).toBe('disconnected');

      const throwing = client({
        url: urlB,
        getToken: () => Promise.reject(new Error('identity provider down')),
        maxAuthFailures: 2,
      });
      await expect(throwing.ready()).rejects.toMatchObject({
        reason: 'getToken failed: identity provider down',
      });
    });
  });

  describe('publish', () => {
    it('a published event reaches bus handlers on the other instance, with the sender in its metadata', async () => {
      const sdk = client({
        url: urlA,
        token: tokenFor('frank', { clientId: 'frank-laptop' }),
      });
      await sdk.ready();
      const { eventId } = await sdk.publish('chat.message', { text: 'hello' });
      await waitUntil(
        () => clientEvents(b).some(e => e.id === eventId),
        5000,
        'chat.message on B',
      );
      const onB = clientEvents(b).find(e => e.id === eventId)!;
      expect(onB).toMatchObject({
        type: 'chat.message',
        data: { text: 'hello' },
        metadata: {
          source: 'gateway',
          userId: 'frank',
          clientId: 'frank-laptop',
        },
      });
      // A type that needs a permission: with it, accepted.
      const writer = client({
        url: urlB,
        token: tokenFor('gus', { permissions: ['photos:write'] }),
      });
      await writer.ready();
      const deletion = await writer.publish('photo.delete.requested', {
        photoId: 'gus-1',
      });
      await waitUntil(
        () => clientEvents(a).some(e => e.id === deletion.eventId),
        5000,
        'photo.delete.requested on A',
      );
    });

    it('refuses a forbidden type, an invalid payload and an oversize one with their codes; no handler gets them', async () => {
      const sdk = client({ url: urlA, token: tokenFor('hugo') });
      await sdk.ready();
      const refusal = (promise: Promise<unknown>) =>
        promise.then(
          () => {
            throw new Error('accepted');
          },
          (error: unknown) => error as ClientAckError,
        );
      const forbidden = await refusal(
        sdk.publish('photo.delete.requested', { photoId: 'hugo-1' }),
      );
      expect(forbidden).toBeInstanceOf(ClientAckError);
      expect(forbidden).toMatchObject({ code: 'forbidden' });
      expect(
        await refusal(sdk.publish('chat.secret', { text: 'x' })),
      ).toMatchObject({ code: 'forbidden' });
      expect(
        await refusal(sdk.publish('chat.message', { text: 42 })),
      ).toMatchObject({
        code: 'invalid',
        message: expect.stringMatching(/text/),
      });
      expect(
        await refusal(
          sdk.publish('chat.message', {
            text: 'x'.repeat(CLIENT_EVENT_MAX_BYTES + 100),
          }),
        ),
      ).toMatchObject({ code: 'too_large' });

      // A valid one after them: once it is in, nothing of hugo's but it reached any handler.
      const { eventId } = await sdk.publish('chat.message', { text: 'fine' });
      await waitUntil(
        () =>
          [a, b].every(app => clientEvents(app).some(e => e.id === eventId)),
        5000,
        'the valid one on both',
      );
      for (const app of [a, b]) {
        expect(
          clientEvents(app)
            .filter((e: EventEnvelope) => e.metadata.userId === 'hugo')
            .map(e => e.data),
        ).toEqual([{ text: 'fine' }]);
      }
    });
  });

  describe('signals', () => {
    it('typing reaches the other member on the other instance, stops by itself, and never comes back to the sender', async () => {
      const ann = client({
        url: urlA,
        token: tokenFor('ann', { clientId: 'ann-tab' }),
      });
      const ben = client({
        url: urlB,
        token: tokenFor('ben', { clientId: 'ben-tab' }),
      });
      await Promise.all([ann.ready(), ben.ready()]);
      await Promise.all([
        ann.subscribe('lobby', () => undefined),
        ben.subscribe('lobby', () => undefined),
      ]);
      const toAnn = new Collector<RoomSignal>();
      const toBen = new Collector<RoomSignal>();
      ann.onSignal(signal => toAnn.push(signal));
      ben.onSignal(signal => toBen.push(signal));

      const started = Date.now();
      await ann.signal('lobby', 'typing');
      const [typing] = await toBen.waitFor(1);
      expect(typing).toMatchObject({
        room: 'lobby',
        kind: 'typing',
        state: 'started',
        from: { userId: 'ann' },
        at: expect.any(String),
      });
      const [, stopped] = await toBen.waitFor(2, TYPING_TIMEOUT_MS + 3000);
      expect(stopped).toMatchObject({
        room: 'lobby',
        kind: 'typing',
        state: 'stopped',
        from: { userId: 'ann' },
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(
        TYPING_TIMEOUT_MS - 50,
      );

      await ben.signal('lobby', 'read', { upTo: 'm-7' });
      const [read] = await toAnn.waitFor(1);
      expect(read).toMatchObject({
        kind: 'read',
        data: { upTo: 'm-7' },
        from: { userId: 'ben' },
      });
      // Another signal of ben's after it: ann gets a room's signals in order.
      await ben.signal('lobby', 'read', { upTo: 'marker' });
      expect(
        (
          await toAnn.until(
            s => (s.data as { upTo?: string } | undefined)?.upTo === 'marker',
          )
        ).map(s => s.from.userId),
      ).toEqual(['ben']);
      expect((await toBen.settle(0)).map(s => s.from.userId)).toEqual([
        'ann',
        'ann',
      ]);

      // Only members may signal in a room.
      await expect(ann.signal('photo:ann-1', 'typing')).rejects.toMatchObject({
        name: 'ClientAckError',
        code: 'forbidden',
        room: 'photo:ann-1',
      });
    });
  });

  describe('rooms', () => {
    it('refuses a room the policy does not allow with ClientAckError, and stops delivering after unsubscribe', async () => {
      const sdk = client({ url: urlA, token: tokenFor('ivy') });
      await sdk.ready();
      await expect(
        sdk.subscribe('photo:bob-1', () => undefined),
      ).rejects.toMatchObject({
        name: 'ClientAckError',
        code: 'forbidden',
        room: 'photo:bob-1',
      });
      const room = new Collector<ClientEvent>();
      const byType = new Collector<ClientEvent>();
      const sub = await sdk.subscribe('photo:ivy-1', event => room.push(event));
      const off = sdk.on('photo.step', event => byType.push(event));
      await b.request({
        cmd: 'publishToRoom',
        room: 'photo:ivy-1',
        type: 'photo.step',
        data: { n: 1 },
      });
      await room.waitFor(1);
      await byType.waitFor(1);
      await sub.unsubscribe();
      off();
      const markers = new Collector<ClientEvent>();
      const offMarkers = sdk.on('marker.event', event => markers.push(event));
      await b.request({
        cmd: 'publishToRoom',
        room: 'photo:ivy-1',
        type: 'photo.step',
        data: { n: 2 },
      });
      // Then one to ivy herself, by the same route: once it is in, the room event had its chance.
      await b.request({
        cmd: 'publishToUser',
        userId: 'ivy',
        type: 'marker.event',
        data: {},
      });
      await markers.waitFor(1);
      offMarkers();
      expect(room.items).toHaveLength(1);
      expect(byType.items).toHaveLength(1);
      // Subscribing before the client is connected: the room is joined with the connection.
      const early = client({
        url: urlB,
        token: tokenFor('ivy', { clientId: 'ivy-phone' }),
        transports: ['polling'],
      });
      const first = new Collector<ClientEvent>();
      const second = new Collector<ClientEvent>();
      const [one] = await Promise.all([
        early.subscribe('photo:ivy-2', event => first.push(event)),
        early.subscribe('photo:ivy-2', event => second.push(event)),
      ]);
      expect(early.state.value).toBe('connected');
      await a.request({
        cmd: 'publishToRoom',
        room: 'photo:ivy-2',
        type: 'photo.step',
        data: { n: 1 },
      });
      await Promise.all([first.waitFor(1), second.waitFor(1)]);
      // One of two handlers leaving keeps the room for the other.
      await one.unsubscribe();
      await a.request({
        cmd: 'publishToRoom',
        room: 'photo:ivy-2',
        type: 'photo.step',
        data: { n: 2 },
      });
      // One socket event runs every handler of the room at once: second has it, so first would have.
      await second.waitFor(2);
      expect(first.items.map(step)).toEqual([1]);

      // The app's own gateway messages go through request() as they are.
      expect(await sdk.request('ping')).toMatchObject({
        ok: true,
        serverTime: expect.any(String),
      });
    });
  });

  describe('browser bundle', () => {
    it('dist/browser/event-bus-client.js connects and delivers room events with a WebSocket global', async () => {
      const page = await ChildApp.start('client-sdk/browser-bundle.main', {
        NODE_OPTIONS: '--experimental-websocket',
        GATEWAY_URL: urlB,
        TOKEN: tokenFor('jill'),
        ROOM: 'photo:jill-1',
      });
      try {
        expect(await page.request({ cmd: 'identity' })).toMatchObject({
          userId: 'jill',
          instanceId: instanceB,
        });
        await a.request({
          cmd: 'publishToRoom',
          room: 'photo:jill-1',
          type: 'photo.step',
          data: { n: 1 },
        });
        const [got] = await page.events.waitFor(1);
        expect(got.event).toMatchObject({
          type: 'photo.step',
          room: 'photo:jill-1',
          data: { n: 1 },
        });
      } finally {
        await page.stop();
      }
    });
  });
});
