import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { EventBusService, type EventEnvelope } from '@shared-infra/event-bus';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { ChildApp } from './utils/child-app.js';
import { waitUntil } from './utils/collector.js';
import {
  connectClient,
  connectError,
  isMarker,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

const HEARTBEAT_MS = 300;
const TTL_MS = 1500;

/**
 * Two gateway instances in separate processes on one Redis, with socket.io
 * clients on both: what a browser sees when an app scales out.
 */
describe('Gateway across two instances (separate processes, one Redis)', () => {
  let redis: RedisServer;
  let a: ChildApp;
  let b: ChildApp;
  let urlA: string;
  let urlB: string;
  /** A service that is no gateway: it only publishes, through Redis. */
  let service: INestApplicationContext;
  const presence: EventEnvelope[] = [];
  const left: EventEnvelope[] = [];
  const clients: TestClient[] = [];

  const env = () => ({
    PRESENCE_HEARTBEAT_MS: String(HEARTBEAT_MS),
    PRESENCE_TTL_MS: String(TTL_MS),
  });
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
  const presenceOf = (userId: string) =>
    presence
      .filter(
        e =>
          (e.data as { userId: string }).userId === userId &&
          e.type.startsWith('user.'),
      )
      .map(e => e.type);

  beforeAll(async () => {
    redis = await RedisServer.start();
    [a, b] = await Promise.all([
      ChildApp.start('gateway/gateway-instance.main', {
        REDIS_URL: redis.url,
        ...env(),
      }),
      ChildApp.start('gateway/gateway-instance.main', {
        REDIS_URL: redis.url,
        ...env(),
      }),
    ]);
    urlA = `http://127.0.0.1:${await a.request<number>({ cmd: 'port' })}`;
    urlB = `http://127.0.0.1:${await b.request<number>({ cmd: 'port' })}`;
    service = await startBusApp(redis.url, { serviceName: 'photo-worker' });
    await service
      .get(EventBusService)
      .subscribe('user.*', e => void presence.push(e));
    await service
      .get(EventBusService)
      .subscribe('client.disconnected', e => void left.push(e));
  });

  afterEach(() => {
    clients.splice(0).forEach(c => c.close());
  });

  afterAll(async () => {
    await service?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('delivers an event published by a service on Redis to clients of the room on both instances, once each', async () => {
    const onA = await connect(urlA, 'alice');
    const onB = await connect(urlB, 'alice', { clientId: 'phone' });
    const bobOnA = await connect(urlA, 'bob');
    expect(await onA.request('subscribe', { room: 'photo:alice-1' })).toEqual({
      ok: true,
    });
    expect(await onB.request('subscribe', { room: 'photo:alice-1' })).toEqual({
      ok: true,
    });

    await service
      .get(EventBusService)
      .publishToRoom('photo:alice-1', 'photo.processing.progress', {
        photoId: 'alice-1',
        progress: 40,
      } as never);
    await b.request({
      cmd: 'publishToRoom',
      room: 'photo:alice-1',
      type: 'photo.processing.progress',
      data: { photoId: 'alice-1', progress: 80 },
    });
    // Markers after them, through Redis like them: each instance hears its channels in publish order.
    const bus = service.get(EventBusService);
    await bus.publishToRoom('photo:alice-1', 'marker.event', {} as never);
    await bus.publishToUser('bob', 'marker.event', {} as never);

    for (const client of [onA, onB]) {
      await client.events.waitFor(2);
      expect(
        (await client.events.until(isMarker)).map(
          e => (e.data as { progress: number }).progress,
        ),
      ).toEqual([40, 80]);
    }
    expect(await bobOnA.events.until(isMarker)).toEqual([]);
  });

  it('publishToUser reaches every device of the user on both instances, and no one else', async () => {
    const laptop = await connect(urlA, 'carol', { clientId: 'laptop' });
    const phone = await connect(urlB, 'carol', { clientId: 'phone' });
    const tablet = await connect(urlB, 'carol', { clientId: 'tablet' });
    const dave = await connect(urlA, 'dave');

    await a.request({
      cmd: 'publishToUser',
      userId: 'carol',
      type: 'notification.created',
      data: { text: 'from A' },
    });
    await service
      .get(EventBusService)
      .publishToUser('carol', 'notification.created', {
        text: 'from the service',
      } as never);

    const bus = service.get(EventBusService);
    await bus.publishToUser('carol', 'marker.event', {} as never);
    await bus.publishToUser('dave', 'marker.event', {} as never);

    for (const device of [laptop, phone, tablet]) {
      await device.events.waitFor(2);
      expect(
        (await device.events.until(isMarker)).map(
          e => `${(e.data as { text: string }).text}@${e.room}`,
        ),
      ).toEqual(['from A@user:carol', 'from the service@user:carol']);
    }
    expect(await dave.events.until(isMarker)).toEqual([]);
  });

  it("refuses another user's room and bad tokens on either instance", async () => {
    const alice = await connect(urlB, 'alice');
    expect(
      await alice.request('subscribe', { room: 'user:bob' }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    expect(
      await alice.request('subscribe', { room: 'photo:bob-1' }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    for (const url of [urlA, urlB]) {
      expect((await connectError(url, undefined)).data?.reason).toMatch(
        /missing token/,
      );
      expect(
        (await connectError(url, { token: 'x.y.z' })).data?.reason,
      ).toMatch(/invalid token/);
      expect(
        (await connectError(url, { token: tokenFor('alice', {}, -1) })).data
          ?.reason,
      ).toBe('token expired');
    }
  });

  it('presence: online at the first session on any instance, offline only after the last one', async () => {
    const first = await connect(urlA, 'erin', { clientId: 'laptop' });
    await waitUntil(() => presenceOf('erin').length === 1, 5000, 'erin online');
    const second = await connect(urlB, 'erin', { clientId: 'phone' });
    expect(await b.request({ cmd: 'isUserOnline', userId: 'erin' })).toBe(true);
    first.close();
    // A publishes client.disconnected once it recorded the session gone, and a wrong user.offline right
    // after it; a marker A publishes once we heard the first comes after both.
    await waitUntil(
      () =>
        left.some(e => (e.data as { clientId: string }).clientId === 'laptop'),
      5000,
      "erin's laptop recorded gone",
    );
    await a.publish('user.marker', { userId: 'marker' });
    await waitUntil(
      () => presence.some(e => e.type === 'user.marker'),
      5000,
      'the marker after it',
    );
    expect(presenceOf('erin')).toEqual(['user.online']);
    expect(await a.request({ cmd: 'isUserOnline', userId: 'erin' })).toBe(true);
    second.close();
    await waitUntil(
      () => presenceOf('erin').length === 2,
      5000,
      'erin offline',
    );
    expect(presenceOf('erin')).toEqual(['user.online', 'user.offline']);
    expect(await a.request({ cmd: 'isUserOnline', userId: 'erin' })).toBe(
      false,
    );
  });

  it('presence: a user whose only instance is killed (SIGKILL) goes offline within the TTL', async () => {
    const c = await ChildApp.start('gateway/gateway-instance.main', {
      REDIS_URL: redis.url,
      ...env(),
    });
    const urlC = `http://127.0.0.1:${await c.request<number>({ cmd: 'port' })}`;
    const onC = await connect(urlC, 'frank');
    const onA = await connect(urlA, 'gina');
    await waitUntil(
      () => presenceOf('frank').length === 1 && presenceOf('gina').length === 1,
      5000,
      'frank and gina online',
    );
    onC.socket.io.opts.reconnection = false;
    c.kill('SIGKILL');
    await c.waitForExit();
    const killedAt = Date.now();
    await waitUntil(
      () => presenceOf('frank').length === 2,
      TTL_MS + 3 * HEARTBEAT_MS + 2000,
      'frank offline after the kill',
    );
    expect(Date.now() - killedAt).toBeLessThan(
      TTL_MS + 3 * HEARTBEAT_MS + 2000,
    );
    expect(presenceOf('frank')).toEqual(['user.online', 'user.offline']);
    // Reported by the instance that noticed, under the dead one's id, with seed 003's reason field.
    expect(
      left.find(e => (e.data as { userId: string }).userId === 'frank')?.data,
    ).toMatchObject({
      socketId: onC.established.socketId,
      instanceId: onC.established.instanceId,
      reason: 'instance stopped heartbeating',
    });
    expect(await a.request({ cmd: 'isUserOnline', userId: 'frank' })).toBe(
      false,
    );
    // Users of the instances still alive are untouched.
    expect(presenceOf('gina')).toEqual(['user.online']);
    expect(onA.socket.connected).toBe(true);
  });

  it('recovery: 5 events missed while disconnected are replayed in order on the other instance, then live ones', async () => {
    const first = await connect(urlA, 'alice');
    await first.request('subscribe', { room: 'photo:alice-5' });
    await service
      .get(EventBusService)
      .publishToRoom('photo:alice-5', 'photo.step', { n: 0 } as never);
    const [last] = await first.events.waitFor(1);
    first.close();
    for (let n = 1; n <= 5; n++)
      await b.request({
        cmd: 'publishToRoom',
        room: 'photo:alice-5',
        type: 'photo.step',
        data: { n },
      });

    const again = await connect(urlB, 'alice');
    expect(
      await again.request('subscribe', {
        room: 'photo:alice-5',
        lastEventId: last.id,
      }),
    ).toEqual({ ok: true, recovered: true, replayed: 5 });
    await service
      .get(EventBusService)
      .publishToRoom('photo:alice-5', 'photo.step', { n: 6 } as never);
    await service
      .get(EventBusService)
      .publishToRoom('photo:alice-5', 'marker.event', {} as never);
    await again.events.waitFor(6);
    const got = await again.events.until(isMarker);
    expect(got.map(e => (e.data as { n: number }).n)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(new Set(got.map(e => e.id)).size).toBe(6);
  });

  it('recovery under load: events published during the replay are neither lost nor doubled', async () => {
    const first = await connect(urlA, 'alice');
    await first.request('subscribe', { room: 'photo:alice-6' });
    const bus = service.get(EventBusService);
    await bus.publishToRoom('photo:alice-6', 'photo.step', { n: 0 } as never);
    const [last] = await first.events.waitFor(1);
    first.close();
    for (let n = 1; n <= 20; n++)
      await bus.publishToRoom('photo:alice-6', 'photo.step', { n } as never);

    const again = await connect(urlB, 'alice');
    const publishing = (async () => {
      for (let n = 21; n <= 60; n++)
        await bus.publishToRoom('photo:alice-6', 'photo.step', { n } as never);
    })();
    const ack = await again.request('subscribe', {
      room: 'photo:alice-6',
      lastEventId: last.id,
    });
    await publishing;
    expect(ack).toMatchObject({ ok: true, recovered: true });
    await bus.publishToRoom('photo:alice-6', 'marker.event', {} as never);
    await again.events.waitFor(60, 10_000);
    expect(
      (await again.events.until(isMarker)).map(
        e => (e.data as { n: number }).n,
      ),
    ).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('client events reach handlers in other processes; signals reach the other instance and never the sender', async () => {
    const heard: EventEnvelope[] = [];
    const sub = await service
      .get(EventBusService)
      .subscribe('chat.*', e => void heard.push(e));
    const alice = await connect(urlA, 'alice', { clientId: 'laptop' });
    const bob = await connect(urlB, 'bob');
    const ack = await alice.request('publish', {
      type: 'chat.message',
      data: { text: 'hi bob' },
    });
    expect(ack).toMatchObject({ ok: true });
    await waitUntil(
      () => heard.length === 1,
      5000,
      'the chat message in the service',
    );
    expect(heard[0]).toMatchObject({
      id: ack.eventId,
      metadata: { source: 'gateway', userId: 'alice', clientId: 'laptop' },
    });
    expect(
      await alice.request('publish', {
        type: 'chat.message',
        data: { text: { nested: true } },
      }),
    ).toMatchObject({ code: 'invalid' });
    await sub.unsubscribe();

    await alice.request('subscribe', { room: 'lobby' });
    await bob.request('subscribe', { room: 'lobby' });
    await alice.request('signal', { room: 'lobby', kind: 'typing' });
    const [started, stopped] = await bob.events.waitFor(2, 5000);
    expect(started).toMatchObject({
      room: 'lobby',
      kind: 'typing',
      state: 'started',
      from: { userId: 'alice' },
    });
    expect(stopped).toMatchObject({ kind: 'typing', state: 'stopped' });
    // A signal of bob's after them reaches alice: her own would have come before it.
    await bob.request('signal', { room: 'lobby', kind: 'read', data: 'm-1' });
    expect(
      await alice.events.until(
        e => (e as { from?: { userId: string } }).from?.userId === 'bob',
      ),
    ).toEqual([]);
  });

  it('the server-side API reaches sockets on the other instance', async () => {
    const onB = await connect(urlB, 'hank');
    await a.request({ cmd: 'addUserToRoom', userId: 'hank', room: 'team:red' });
    await waitUntil(
      async () =>
        (
          await a.request<unknown[]>({
            cmd: 'getRoomMembers',
            room: 'team:red',
          })
        ).length === 1,
      5000,
      'hank in team:red',
    );
    expect(
      await a.request({ cmd: 'getRoomMembers', room: 'team:red' }),
    ).toEqual([
      {
        socketId: onB.established.socketId,
        userId: 'hank',
        clientId: expect.any(String),
      },
    ]);
    await a.request({
      cmd: 'publishToRoom',
      room: 'team:red',
      type: 'team.message',
      data: { text: 'hi' },
    });
    await onB.events.waitFor(1);

    const disconnected = new Promise(resolve =>
      onB.socket.once('disconnect', resolve),
    );
    await a.request({ cmd: 'disconnectUser', userId: 'hank' });
    expect(await disconnected).toBe('io server disconnect');
  });

  it('on Redis too: the rate limit trips, an oversize message is refused, junk does not stop the instance', async () => {
    const alice = await connect(urlA, 'alice');
    const acks = await Promise.all(
      Array.from({ length: 50 }, () => alice.request('ping')),
    );
    expect(acks.some(ack => ack.code === 'rate_limited')).toBe(true);

    const big = await connect(urlA, 'alice');
    const closed = new Promise(resolve =>
      big.socket.once('disconnect', resolve),
    );
    big.socket.emit('subscribe', {
      room: 'lobby',
      padding: 'x'.repeat(32 * 1024),
    });
    expect(await closed).toBe('transport close');

    for (let round = 0; round < 10; round++) {
      const junk = await connect(urlA, `junk${round}`);
      for (let i = 0; i < 100; i++)
        junk.socket.emit(
          ['subscribe', 'unsubscribe', 'ping', 'x'][i % 4],
          [null, 42, 'lobby', { room: i }, [[]]][i % 5],
        );
      junk.close();
    }
    const fresh = await connect(urlA, 'fresh');
    expect(await fresh.request('ping')).toMatchObject({ ok: true });
    await service
      .get(EventBusService)
      .publishToUser('fresh', 'still.alive', {} as never);
    await fresh.events.waitFor(1);
  });

  it('a graceful stop tells clients and records their sessions as gone', async () => {
    const d = await ChildApp.start('gateway/gateway-instance.main', {
      REDIS_URL: redis.url,
      ...env(),
    });
    const urlD = `http://127.0.0.1:${await d.request<number>({ cmd: 'port' })}`;
    const client = await connect(urlD, 'ivan');
    await waitUntil(() => presenceOf('ivan').length === 1, 5000, 'ivan online');
    const told = new Promise(resolve =>
      client.socket.once('system.shutdown', resolve),
    );
    await d.stop();
    expect(await told).toMatchObject({
      message: expect.stringMatching(/shutting down/),
    });
    await waitUntil(
      () => presenceOf('ivan').length === 2,
      5000,
      'ivan offline',
    );
  });
});
