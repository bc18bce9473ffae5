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
import { EventBusService } from '@shared-infra/event-bus';
import {
  EventBusGatewayService,
  EventBusIoAdapter,
} from '@shared-infra/event-bus/gateway';
import type { AddressInfo } from 'node:net';
import type {
  ClientEvent,
  GatewayAck,
  RoomHistoryPage,
  RoomPresenceCounts,
  RoomPresenceEvent,
} from '@shared-infra/event-bus/gateway';
import { GatewayAppModule } from './fixtures/gateway/gateway-app.module.js';
import { RedisServer } from './setup/redis-server.js';
import { ChildApp } from './utils/child-app.js';
import { waitUntil } from './utils/collector.js';
import {
  connectClient,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

const ROOMS = {
  'chat:*': { presence: true, history: { maxLength: 200 } },
  'chat:small:*': { history: { maxLength: 3 } },
  'chat:ro:*': { publish: 'nobody' },
};

const isPresence = (name: string) => (event: ClientEvent) =>
  (event as unknown as RoomPresenceEvent).user !== undefined &&
  (event as unknown as { name?: string }).name === name;

/**
 * The `rooms` option, history pages, room presence and persistent rooms, with
 * two gateway instances in separate processes on one Redis and socket.io clients on both.
 */
describe('Gateway rooms: history pages, presence, persistent rooms (two instances, one Redis)', () => {
  let redis: RedisServer;
  let a: ChildApp;
  let b: ChildApp;
  let urlA: string;
  let urlB: string;
  let env: Record<string, string>;
  const clients: TestClient[] = [];

  const connect = async (
    url: string,
    userId: string,
    claims: Record<string, unknown> = {},
  ) => {
    const client = await connectClient(url, {
      token: tokenFor(userId, claims),
    });
    // The presence events come under their own names: tag them with it (after onAny has collected them).
    for (const name of ['presence:join', 'presence:leave'])
      client.socket.on(name, (event: { name?: string }) => {
        event.name = name;
      });
    clients.push(client);
    return client;
  };
  const presenceOf = (client: TestClient, name: string, userId?: string) =>
    client.events.items
      .filter(isPresence(name))
      .map(e => e as unknown as RoomPresenceEvent)
      .filter(e => userId === undefined || e.user.userId === userId);
  const publish = (app: ChildApp, room: string, n: number) =>
    app.request<{ eventId: string }>({
      cmd: 'publishToRoom',
      room,
      type: 'room.note',
      data: { n },
    });

  beforeAll(async () => {
    redis = await RedisServer.start();
    env = {
      REDIS_URL: redis.url,
      ROOMS: JSON.stringify(ROOMS),
      PRESENCE_HEARTBEAT_MS: '300',
      PRESENCE_TTL_MS: '1500',
    };
    [a, b] = await Promise.all([
      ChildApp.start('gateway/rooms-instance.main', env),
      ChildApp.start('gateway/rooms-instance.main', env),
    ]);
    urlA = `http://127.0.0.1:${await a.request<number>({ cmd: 'port' })}`;
    urlB = `http://127.0.0.1:${await b.request<number>({ cmd: 'port' })}`;
  });

  afterEach(() => {
    clients.splice(0).forEach(c => c.close());
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('pages a room history with since, before, limit and hasMore, to sockets that may join the room only', async () => {
    const room = 'chat:paging';
    const ids: string[] = [];
    for (let n = 1; n <= 7; n++) ids.push((await publish(a, room, n)).eventId);
    const alice = await connect(urlB, 'alice');
    const numbers = (ack: GatewayAck) =>
      ack.events!.map(e => (e.data as { n: number }).n);

    const newest = await alice.request('history', { room, limit: 3 });
    expect(newest).toMatchObject({ ok: true, hasMore: true, recovered: true });
    expect(numbers(newest)).toEqual([5, 6, 7]);
    expect(newest.events![0]).toEqual({
      id: ids[4],
      type: 'room.note',
      data: { n: 5 },
      timestamp: expect.any(String),
      room,
    });
    const older = await alice.request('history', {
      room,
      before: ids[4],
      limit: 3,
    });
    expect(numbers(older)).toEqual([2, 3, 4]);
    expect(older.hasMore).toBe(true);

    const first = await alice.request('history', {
      room,
      since: ids[1],
      limit: 3,
    });
    expect(numbers(first)).toEqual([3, 4, 5]);
    expect(first.hasMore).toBe(true);
    const last = await alice.request('history', {
      room,
      since: ids[4],
      limit: 3,
    });
    expect(numbers(last)).toEqual([6, 7]);
    expect(last.hasMore).toBe(false);

    // The same page from the server side, on the other instance.
    const page = await a.request<RoomHistoryPage<ClientEvent>>({
      cmd: 'getRoomHistory',
      room,
      query: { since: ids[1], limit: 3 },
    });
    expect(page.events.map(e => e.id)).toEqual(ids.slice(2, 5));
    expect(page.hasMore).toBe(true);

    const mallory = await connect(urlA, 'mallory');
    expect(await mallory.request('history', { room })).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    expect(
      await mallory.request('history', { room: 'user:alice' }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    for (const bad of [
      { room, limit: 0 },
      { room, limit: 501 },
      { room, since: 'not-an-id' },
      { room, since: ids[1], before: ids[4] },
      { room: 'has space' },
    ])
      expect(await alice.request('history', bad)).toMatchObject({
        ok: false,
        code: 'invalid',
      });
    await expect(
      a.request({ cmd: 'getRoomHistory', room, query: { limit: 1000 } }),
    ).rejects.toThrow('History query is invalid');
  });

  it('keeps each prefix its own history length (the longest prefix wins)', async () => {
    for (let n = 1; n <= 5; n++) {
      await publish(b, 'chat:small:1', n);
      await publish(b, 'chat:big', n);
    }
    const small = await a.request<RoomHistoryPage<ClientEvent>>({
      cmd: 'getRoomHistory',
      room: 'chat:small:1',
    });
    expect(small.events.map(e => (e.data as { n: number }).n)).toEqual([
      3, 4, 5,
    ]);
    expect(small.hasMore).toBe(false);
    const big = await a.request<RoomHistoryPage<ClientEvent>>({
      cmd: 'getRoomHistory',
      room: 'chat:big',
    });
    expect(big.events).toHaveLength(5);
  });

  it('counts sockets and users across instances and announces a user once however many tabs they open', async () => {
    const room = 'chat:presence';
    const carol = await connect(urlB, 'carol');
    expect(await carol.request('subscribe', { room })).toEqual({ ok: true });
    await carol.events.waitFor(1); // her own join
    expect(presenceOf(carol, 'presence:join')).toEqual([
      {
        name: 'presence:join',
        room,
        user: { userId: 'carol' },
        at: expect.any(String),
      },
    ]);

    const tab1 = await connect(urlA, 'bob', { clientId: 'tab1' });
    const tab2 = await connect(urlB, 'bob', { clientId: 'tab2' });
    expect(await tab1.request('subscribe', { room })).toEqual({ ok: true });
    expect(await tab2.request('subscribe', { room })).toEqual({ ok: true });
    // Dave joins through the instance a second join of bob would come from: his join comes after it.
    const dave = await connect(urlB, 'dave');
    expect(await dave.request('subscribe', { room })).toEqual({ ok: true });
    await waitUntil(
      () => presenceOf(carol, 'presence:join', 'dave').length === 1,
      5000,
      "dave's join",
    );
    expect(presenceOf(carol, 'presence:join', 'bob')).toHaveLength(1);
    // Nothing but the user: no client or session ids of others.
    expect(
      Object.keys(presenceOf(carol, 'presence:join', 'bob')[0]).sort(),
    ).toEqual(['at', 'name', 'room', 'user']);
    expect(presenceOf(carol, 'presence:join', 'bob')[0].user).toEqual({
      userId: 'bob',
    });

    const counts = { sockets: 4, users: 3 };
    expect(await carol.request('presence', { room })).toEqual({
      ok: true,
      presence: counts,
    });
    expect(
      await a.request<RoomPresenceCounts>({ cmd: 'getRoomPresence', room }),
    ).toEqual(counts);
    // The counts of a room without presence come from asking the instances.
    expect(await a.request({ cmd: 'getRoomPresence', room: 'lobby' })).toEqual({
      sockets: 0,
      users: 0,
    });
    expect(await carol.request('presence', { room: 'lobby' })).toMatchObject({
      ok: false,
      code: 'invalid',
    });
    const mallory = await connect(urlA, 'mallory');
    expect(await mallory.request('presence', { room })).toMatchObject({
      ok: false,
      code: 'forbidden',
    });

    // One tab closes: bob is still there. The other: bob has left.
    tab1.close();
    await waitUntil(
      async () =>
        (await a.request<RoomPresenceCounts>({ cmd: 'getRoomPresence', room }))
          .sockets === 3,
      5000,
      'tab1 gone',
    );
    tab2.close();
    await waitUntil(
      () => presenceOf(carol, 'presence:leave', 'bob').length > 0,
      5000,
      "bob's leave",
    );
    dave.close();
    await waitUntil(
      () => presenceOf(carol, 'presence:leave', 'dave').length > 0,
      5000,
      "dave's leave",
    );
    expect(presenceOf(carol, 'presence:leave', 'bob')).toEqual([
      {
        name: 'presence:leave',
        room,
        user: { userId: 'bob' },
        at: expect.any(String),
      },
    ]);
    expect(await carol.request('presence', { room })).toEqual({
      ok: true,
      presence: { sockets: 1, users: 1 },
    });
  });

  it('joins a persistent room on every later connection, on any instance, until it is removed', async () => {
    const room = 'chat:persist';
    const now = await connect(urlA, 'erin', { clientId: 'laptop' });
    await b.request({
      cmd: 'addUserToRoom',
      userId: 'erin',
      room,
      persist: true,
    });
    expect(await a.request({ cmd: 'getUserRooms', userId: 'erin' })).toEqual([
      room,
    ]);
    const later = await connect(urlB, 'erin', { clientId: 'phone' });
    expect(later.established.rooms).toContain(room);
    const marker = await publish(a, room, 1);
    for (const client of [now, later])
      await waitUntil(
        () => client.events.items.some(e => e.id === marker.eventId),
        5000,
        'the event in the persistent room',
      );

    await a.request({ cmd: 'removeUserFromRoom', userId: 'erin', room });
    expect(await b.request({ cmd: 'getUserRooms', userId: 'erin' })).toEqual(
      [],
    );
    const after = await connect(urlB, 'erin', { clientId: 'tablet' });
    expect(after.established.rooms).not.toContain(room);

    // A room the authorizer refuses, put there by the server: the socket may recover and read it.
    await a.request({
      cmd: 'addUserToRoom',
      userId: 'mallory',
      room: 'chat:mallory',
      persist: true,
    });
    const seen = await publish(b, 'chat:mallory', 1);
    await publish(b, 'chat:mallory', 2);
    const mallory = await connect(urlB, 'mallory');
    expect(mallory.established.rooms).toContain('chat:mallory');
    expect(
      await mallory.request('subscribe', {
        room: 'chat:mallory',
        lastEventId: seen.eventId,
      }),
    ).toMatchObject({ ok: true, recovered: true, replayed: 1 });
    expect(
      await mallory.request('history', { room: 'chat:mallory' }),
    ).toMatchObject({ ok: true, hasMore: false });
    expect(
      await mallory.request('subscribe', { room: 'chat:other' }),
    ).toMatchObject({ ok: false, code: 'forbidden' });

    // maxRoomsPerSocket is 10 here: 6 persistent rooms at most.
    for (let i = 1; i <= 6; i++)
      await a.request({
        cmd: 'addUserToRoom',
        userId: 'frank',
        room: `chat:p${i}`,
        persist: true,
      });
    await expect(
      a.request({
        cmd: 'addUserToRoom',
        userId: 'frank',
        room: 'chat:p7',
        persist: true,
      }),
    ).rejects.toThrow('already has 6 persistent rooms');
    const frank = await connect(urlA, 'frank');
    expect(frank.established.rooms).toEqual(
      expect.arrayContaining(['chat:p1', 'chat:p6']),
    );
    expect(frank.established.rooms).not.toContain('chat:p7');
  });

  it('announces the leave of the users of an instance that died, once the others find it dead', async () => {
    const room = 'chat:dead';
    const c = await ChildApp.start('gateway/rooms-instance.main', env);
    try {
      const urlC = `http://127.0.0.1:${await c.request<number>({ cmd: 'port' })}`;
      const ivan = await connect(urlA, 'ivan');
      expect(await ivan.request('subscribe', { room })).toEqual({ ok: true });
      const judy = await connect(urlC, 'judy');
      expect(await judy.request('subscribe', { room })).toEqual({ ok: true });
      await waitUntil(
        () => presenceOf(ivan, 'presence:join', 'judy').length === 1,
        5000,
        "judy's join",
      );
      c.kill('SIGKILL');
      await waitUntil(
        () => presenceOf(ivan, 'presence:leave', 'judy').length === 1,
        10_000,
        "judy's leave after her instance died",
      );
      expect(
        await a.request<RoomPresenceCounts>({ cmd: 'getRoomPresence', room }),
      ).toEqual({ sockets: 1, users: 1 });
    } finally {
      c.kill('SIGKILL');
    }
  });

  it("refuses signals in a room whose entry says publish: 'nobody'", async () => {
    const grace = await connect(urlA, 'grace');
    expect(await grace.request('subscribe', { room: 'chat:ro:news' })).toEqual({
      ok: true,
    });
    expect(
      await grace.request('signal', { room: 'chat:ro:news', kind: 'read' }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await grace.request('subscribe', { room: 'chat:open' })).toEqual({
      ok: true,
    });
    expect(
      await grace.request('signal', { room: 'chat:open', kind: 'read' }),
    ).toEqual({ ok: true });
  });

  it('refuses misspelled room options at startup, naming them', async () => {
    const start = (rooms: unknown) =>
      NestFactory.create(
        GatewayAppModule.forRoot(
          { transport: 'memory' },
          { rooms: rooms as never },
        ),
        { logger: false, abortOnError: false },
      );
    await expect(start({ 'chat:*': { presense: true } })).rejects.toThrow(
      'Unknown option "rooms.chat:*.presense" of EventBusGatewayModule: did you mean "rooms.chat:*.presence"?',
    );
    await expect(
      start({ 'chat:*': { history: { maxLenght: 10 } } }),
    ).rejects.toThrow('did you mean "rooms.chat:*.history.maxLength"?');
    await expect(start({ 'chat *': {} })).rejects.toThrow(
      'Gateway option "rooms" has the key "chat *"',
    );
  });
});

describe('Gateway rooms on the memory transport (one instance)', () => {
  let app: INestApplication;
  let url: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    app = await NestFactory.create(
      GatewayAppModule.forRoot(
        // No history for the bus: the rooms entry turns it on for chat rooms only.
        { transport: 'memory', roomHistory: false },
        {
          authorizeRoom: (_identity, room) => room.startsWith('chat:'),
          rooms: { 'chat:*': { presence: true, history: { maxLength: 2 } } },
        },
      ),
      { logger: false },
    );
    app.useWebSocketAdapter(new EventBusIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    clients.splice(0).forEach(c => c.close());
    await app?.close();
  });

  it('keeps history, presence and persistent rooms in the process', async () => {
    const gateway = app.get(EventBusGatewayService);
    const bus = app.get(EventBusService);
    await gateway.addUserToRoom('kim', 'chat:mem', { persist: true });
    expect(await gateway.getUserRooms('kim')).toEqual(['chat:mem']);
    for (const clientId of ['tab1', 'tab2']) {
      const client = await connectClient(url, {
        token: tokenFor('kim', { clientId }),
      });
      clients.push(client);
      expect(client.established.rooms).toContain('chat:mem');
    }
    await waitUntil(
      async () => (await gateway.getRoomPresence('chat:mem')).sockets === 2,
      5000,
      'both tabs counted',
    );
    expect(await gateway.getRoomPresence('chat:mem')).toEqual({
      sockets: 2,
      users: 1,
    });
    for (let n = 1; n <= 3; n++)
      await bus.publishToRoom('chat:mem', 'room.note', { n } as never);
    await bus.publishToRoom('other:mem', 'room.note', { n: 1 } as never);
    const page = await gateway.getRoomHistory('chat:mem');
    expect(page.events.map(e => (e.data as { n: number }).n)).toEqual([2, 3]);
    expect((await gateway.getRoomHistory('other:mem')).events).toEqual([]);
    // A recovery into a room the socket is in leaves it and joins again: no leave, no second join.
    const [tab1, tab2] = clients;
    const names: string[] = [];
    tab1.socket.onAny((name: string, event: RoomPresenceEvent) => {
      if (name.startsWith('presence:'))
        names.push(`${name} ${event.user.userId}`);
    });
    tab2.close();
    await waitUntil(
      async () => (await gateway.getRoomPresence('chat:mem')).sockets === 1,
      5000,
      'tab2 out',
    );
    expect(
      await tab1.request('subscribe', {
        room: 'chat:mem',
        lastEventId: page.events[0].id,
      }),
    ).toMatchObject({ ok: true, recovered: true });
    const lee = await connectClient(url, { token: tokenFor('lee') });
    clients.push(lee);
    expect(await lee.request('subscribe', { room: 'chat:mem' })).toEqual({
      ok: true,
    });
    await waitUntil(
      () => names.includes('presence:join lee'),
      5000,
      "lee's join",
    );
    expect(names).toEqual(['presence:join lee']);
    lee.close();

    await gateway.removeUserFromRoom('kim', 'chat:mem');
    await waitUntil(
      async () => (await gateway.getRoomPresence('chat:mem')).sockets === 0,
      5000,
      'both tabs out',
    );
    expect(await gateway.getUserRooms('kim')).toEqual([]);
  });
});
