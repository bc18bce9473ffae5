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
  EventBusUnavailableError,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { Redis } from 'ioredis';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { ChildApp } from './utils/child-app.js';
import { Collector, waitUntil } from './utils/collector.js';

describe('redis transport across processes', () => {
  let redis: RedisServer;
  const children: ChildApp[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map(child => child.stop()));
  });

  afterAll(async () => {
    await redis.stop();
  });

  it('a second Nest app in another process gets photo.* events from the first', async () => {
    const publisher = await ChildApp.start('bus-app.main', {
      REDIS_URL: redis.url,
      SERVICE_NAME: 'uploader',
    });
    const subscriber = await ChildApp.start('bus-app.main', {
      REDIS_URL: redis.url,
      SERVICE_NAME: 'watcher',
    });
    children.push(publisher, subscriber);
    await subscriber.request({ cmd: 'subscribe', pattern: 'photo.**' });

    const uploaded = await publisher.publish('photo.uploaded', {
      photoId: 'p1',
    });
    await publisher.publish('photo.processing.started', { photoId: 'p1' });
    await publisher.publish('user.online', { userId: 'u1' });
    await publisher.publish('photo.marker', {});

    // photo.* (decorated) sees one segment only; photo.** (subscribed) sees both photo events.
    await subscriber.events.waitFor(3);
    const got = (
      await subscriber.events.until(e => e.event.type === 'photo.marker')
    )
      .map(e => `${e.handler} ${e.event.type}`)
      .sort();
    expect(got).toEqual([
      'PhotoWatcher.onPhoto photo.uploaded',
      'subscribe:photo.** photo.processing.started',
      'subscribe:photo.** photo.uploaded',
    ]);
    const event = subscriber.events.items.find(
      e => e.handler === 'PhotoWatcher.onPhoto',
    )!.event;
    expect(event.id).toBe(uploaded.eventId);
    expect(event.metadata.source).toBe('uploader');
    // The publisher's own photo.* handler got its event too: fan-out reaches every instance.
    await publisher.events.waitFor(1);
  });

  it('keeps apps with different channel prefixes apart on one Redis', async () => {
    const a = await ChildApp.start('bus-app.main', {
      REDIS_URL: redis.url,
      CHANNEL_PREFIX: 'app-a:',
    });
    const b = await ChildApp.start('bus-app.main', {
      REDIS_URL: redis.url,
      CHANNEL_PREFIX: 'app-b:',
    });
    children.push(a, b);
    await a.publish('photo.uploaded', { from: 'a' });
    await a.events.waitFor(1);
    // b's own event after a's: once b has it, a's would have arrived before it.
    await b.publish('photo.marker', { from: 'b' });
    expect(
      await b.events.until(e => e.event.type === 'photo.marker'),
    ).toHaveLength(0);
  });
});

describe('redis transport connections and failures', () => {
  let redis: RedisServer;
  let raw: Redis;
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    redis = await RedisServer.start();
    raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await raw.connect();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    raw.disconnect();
    await redis.stop();
  });

  it('holds one publisher and one subscriber connection, and one Redis subscription per pattern', async () => {
    app = await startBusApp(redis.url, { serviceName: 'conn-count' });
    const bus = app.get(EventBusService);
    const seen = new Collector();
    for (let i = 0; i < 5; i++) await bus.subscribe('orders.*', seen.push);
    for (let i = 0; i < 3; i++)
      await bus.subscribe('orders.created', seen.push);
    const clients = (await raw.client('LIST')) as string;
    const ours = clients
      .split('\n')
      .filter(line => line.includes('name=conn-count:event-bus:'));
    expect(ours).toHaveLength(2);
    expect(Number(await raw.pubsub('NUMPAT'))).toBe(1);
    expect(await raw.pubsub('NUMSUB', 'eventbus:orders.created')).toEqual([
      'eventbus:orders.created',
      1,
    ]);
    await bus.publish('orders.created', {});
    await seen.waitFor(8);
    const marker = await bus.publish('orders.created', {});
    expect(await seen.until(e => e.id === marker.eventId)).toHaveLength(8);
  });

  it('drops garbage that a foreign client publishes on its channels, counts it, and keeps serving', async () => {
    app = await startBusApp(redis.url, { serviceName: 'garbage' });
    const bus = app.get(EventBusService);
    const seen = new Collector<EventEnvelope>();
    await bus.subscribe('photo.*', seen.push);
    const garbage = [
      'not json at all',
      '{"truncated": ',
      '[]',
      'null',
      '{"id":"x","type":"photo.checked","data":{}}',
      JSON.stringify({
        id: 'x',
        type: 'photo.checked',
        data: {},
        version: 99,
        metadata: {
          source: 's',
          traceId: 't',
          timestamp: new Date().toISOString(),
        },
      }),
      JSON.stringify({
        id: 'x',
        type: 'photo.other',
        data: {},
        version: 1,
        metadata: {
          source: 's',
          traceId: 't',
          timestamp: new Date().toISOString(),
        },
      }),
      JSON.stringify({
        id: 'x',
        type: 'photo.checked',
        data: 'x'.repeat(2 * 1024 * 1024),
        version: 1,
        metadata: { source: 's', traceId: 't', timestamp: 'now' },
      }),
      '\u0000\u0001\u0002',
    ];
    for (const message of garbage)
      await raw.publish('eventbus:photo.checked', message);
    await bus.publish('photo.checked', { ok: true });
    const [event] = await seen.waitFor(1);
    expect(event.data).toEqual({ ok: true });
    const marker = await bus.publish('photo.checked', { ok: true });
    expect(await seen.until(e => e.id === marker.eventId)).toHaveLength(1);
    expect(bus.getStats().eventsMalformed).toBe(garbage.length);
    expect(bus.isConnected()).toBe(true);
  });

  it('reconnects and resubscribes after Redis is killed and restarted on the same port', async () => {
    app = await startBusApp(redis.url, { serviceName: 'restart' });
    const bus = app.get(EventBusService);
    const seen = new Collector<EventEnvelope>();
    await bus.subscribe('photo.*', seen.push);
    await bus.subscribe('alerts.raised', seen.push);
    await bus.publish('photo.moved', { n: 1 });
    await seen.waitFor(1);

    await redis.kill();
    raw.disconnect();
    await waitUntil(
      () => !bus.isConnected(),
      5000,
      'the bus to notice the outage',
    );
    expect((await bus.healthCheck()).status).toBe('unhealthy');
    // Published during the outage: waits in the bounded buffer and goes out on reconnect.
    const buffered = bus.publish('photo.moved', { n: 2 });

    await redis.start();
    await raw.connect();
    await waitUntil(() => bus.isConnected(), 15_000, 'the bus to reconnect');
    await buffered;
    // The subscription is back: new events of both kinds arrive.
    await waitUntil(
      async () => Number(await raw.pubsub('NUMPAT')) === 1,
      5000,
      'PSUBSCRIBE to be restored',
    );
    await bus.publish('photo.moved', { n: 3 });
    await bus.publish('alerts.raised', { n: 4 });
    // n=2 reaches the subscriber only if it resubscribed before the publisher flushed: fan-out is at-most-once.
    const ns = () => seen.items.map(e => (e.data as { n: number }).n);
    await waitUntil(
      () => ns().includes(3) && ns().includes(4),
      10_000,
      'events after the restart',
    );
    expect(ns().filter(n => n !== 2)).toEqual([1, 3, 4]);
    expect((await bus.healthCheck()).status).toBe('healthy');
  });

  it('refuses publishes at once when Redis is down and the buffer is full', async () => {
    app = await startBusApp(redis.url, {
      serviceName: 'full-buffer',
      redis: { maxBufferedPublishes: 3 },
    });
    const bus = app.get(EventBusService);
    await redis.kill();
    raw.disconnect();
    await waitUntil(
      () => !bus.isConnected(),
      5000,
      'the bus to notice the outage',
    );
    const waiting = [1, 2, 3].map(n => bus.publish('jobs.queued', { n }));
    await expect(bus.publish('jobs.queued', { n: 4 })).rejects.toBeInstanceOf(
      EventBusUnavailableError,
    );
    await expect(bus.publish('jobs.queued', { n: 4 })).rejects.toThrow(
      /maxBufferedPublishes/,
    );
    await redis.start();
    await raw.connect();
    await Promise.all(waiting);
    expect(bus.getStats().eventsPublished).toBe(3);
  });

  it('closes its connections on application shutdown', async () => {
    app = await startBusApp(redis.url, { serviceName: 'closing' });
    await app.close();
    app = undefined;
    await waitUntil(
      async () => {
        const clients = (await raw.client('LIST')) as string;
        return !clients.includes('name=closing:event-bus:');
      },
      5000,
      'connections to close',
    );
  });
});

describe('redis transport: no PUBLISH for types nobody listens to', () => {
  let redis: RedisServer;
  let raw: Redis;
  let app: INestApplicationContext | undefined;
  const children: ChildApp[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    raw = new Redis(redis.url);
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map(child => child.stop()));
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    raw.disconnect();
    await redis.stop();
  });

  const publishCalls = async (): Promise<number> =>
    Number(
      /cmdstat_publish:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ??
        0,
    );

  /** PUBLISH commands Redis ran while `burst` events of `type` were published back to back. */
  async function publishedDuring(
    bus: EventBusService,
    type: string,
    burst: number,
  ): Promise<number> {
    const before = await publishCalls();
    for (let i = 0; i < burst; i++) await bus.publish(type, { i });
    return (await publishCalls()) - before;
  }

  /** Publishes `type` in bursts until one burst of 20 needed at most 2 PUBLISH (probes): the type is unheard. */
  async function publishUntilUnheard(
    bus: EventBusService,
    type: string,
  ): Promise<void> {
    for (let round = 0; round < 100; round++) {
      if ((await publishedDuring(bus, type, 20)) <= 2) return;
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    throw new Error(`${type} was still PUBLISHed after 100 rounds`);
  }

  it('stops PUBLISHing a type nobody hears, and still appends it to its durable stream', async () => {
    app = await startBusApp(redis.url, { serviceName: 'quiet' });
    const bus = app.get(EventBusService);
    const handled = new Collector<EventEnvelope>();
    await bus.subscribe('ledger.*', handled.push, {
      durable: true,
      group: 'ledger-writers',
    });
    await publishUntilUnheard(bus, 'ledger.entry');
    // Every event went to the stream, PUBLISHed or not.
    const published = bus.getStats().eventsPublished;
    await handled.waitFor(published, 10_000);
    // One more entry after them: the group reads its stream in order, so no redelivery can precede it.
    const marker = await bus.publish('ledger.entry', {});
    expect(
      await handled.until(e => e.id === marker.eventId, 10_000),
    ).toHaveLength(published);
  });

  it('a bus that subscribes in another process gets the first event published after its subscribe() resolved', async () => {
    app = await startBusApp(redis.url, { serviceName: 'quiet-publisher' });
    const bus = app.get(EventBusService);
    const listener = await ChildApp.start('bus-app.main', {
      REDIS_URL: redis.url,
      SERVICE_NAME: 'late-listener',
    });
    children.push(listener);
    for (const type of ['audit.read', 'audit.write', 'audit.delete']) {
      await publishUntilUnheard(bus, type);
      await listener.request({ cmd: 'subscribe', pattern: type });
      const sent = await bus.publish(type, { first: true });
      const [got] = await listener.events.waitFor(1);
      expect(got.event.id).toBe(sent.eventId);
      listener.events.clear();
    }
  });

  it('notices a foreign subscriber (raw PSUBSCRIBE, no announcement) by its probe, then publishes everything', async () => {
    app = await startBusApp(redis.url, { serviceName: 'quiet-probe' });
    const bus = app.get(EventBusService);
    await publishUntilUnheard(bus, 'metrics.sampled');
    const foreign = new Redis(redis.url);
    const heard: string[] = [];
    foreign.on('pmessage', (_glob: string, _channel: string, message: string) =>
      heard.push(message),
    );
    await foreign.psubscribe('eventbus:metrics.*');
    try {
      await waitUntil(
        async () => {
          await bus.publish('metrics.sampled', { probe: true });
          return heard.length > 0;
        },
        5000,
        'a probe PUBLISH to reach the foreign subscriber',
      );
      expect(await publishedDuring(bus, 'metrics.sampled', 20)).toBe(20);
      const burst = () =>
        heard.filter(
          message =>
            (JSON.parse(message) as EventEnvelope<string, { i?: number }>).data
              .i !== undefined,
        );
      await waitUntil(
        () => burst().length === 20,
        5000,
        'all 20 events at the foreign subscriber',
      );
    } finally {
      foreign.disconnect();
    }
  });

  it('takes junk on its announcement channel as an announcement: sends again, keeps serving', async () => {
    app = await startBusApp(redis.url, { serviceName: 'quiet-junk' });
    const bus = app.get(EventBusService);
    await publishUntilUnheard(bus, 'audit.junk');
    for (const junk of ['', 'not a token', '\u0000\u0001', 'x'.repeat(100_000)])
      await raw.publish('eventbus#fanout', junk);
    await waitUntil(
      async () => (await publishedDuring(bus, 'audit.junk', 1)) === 1,
      5000,
      'PUBLISH to resume after the announcements',
    );
    expect(await publishedDuring(bus, 'audit.junk', 20)).toBe(20);
    expect(bus.isConnected()).toBe(true);
  });

  it('with skipUnheardPublishes: false, PUBLISHes every event', async () => {
    app = await startBusApp(redis.url, {
      serviceName: 'loud',
      redis: { skipUnheardPublishes: false },
    });
    const bus = app.get(EventBusService);
    const started = Date.now();
    while (Date.now() - started < 1500) {
      expect(await publishedDuring(bus, 'noise.made', 20)).toBe(20);
    }
  });
});

describe('redis transport: the publishes of one tick go out as one script call', () => {
  let redis: RedisServer;
  let raw: Redis;
  let listener: Redis;
  let app: INestApplicationContext | undefined;
  const heard: string[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    raw = new Redis(redis.url);
    listener = new Redis(redis.url);
    listener.on(
      'pmessage',
      (_glob: string, _channel: string, message: string) => heard.push(message),
    );
    await listener.psubscribe('eventbus:*');
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    heard.length = 0;
  });

  afterAll(async () => {
    listener.disconnect();
    raw.disconnect();
    await redis.stop();
  });

  /** A bus whose scheduler does not poll: these tests count every EVAL Redis runs. */
  const startTickBus = (options: Parameters<typeof startBusApp>[1]) =>
    startBusApp(redis.url, { scheduling: { mover: false }, ...options });

  /** Calls of `command` Redis has run so far (INFO commandstats). */
  const calls = async (command: string): Promise<number> =>
    Number(
      new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(
        await raw.info('commandstats'),
      )?.[1] ?? 0,
    );

  const heardData = <T>(): T[] =>
    heard.map(
      message => (JSON.parse(message) as EventEnvelope<string, T>).data,
    );

  /** The URL of a new Redis user with these ACL rules (any key, password `secret`). */
  async function redisUser(name: string, rules: string[]): Promise<string> {
    await raw.call(
      'ACL',
      'SETUSER',
      name,
      'reset',
      'on',
      '>secret',
      '~*',
      ...rules,
    );
    const url = new URL(redis.url);
    url.username = name;
    url.password = 'secret';
    return url.toString();
  }

  /** A Redis user allowed `channels` only (plus the bus' control channels), with `extra` ACL rules. */
  const limitedUser = (
    name: string,
    channels: string[],
    extra: string[] = [],
  ): Promise<string> =>
    redisUser(name, [
      '&eventbus#fanout',
      '&eventbus#durable',
      ...channels.map(channel => `&${channel}`),
      '+@all',
      ...extra,
    ]);

  it('sends 500 publishes of one tick in a few EVALs, each PUBLISHed once, in order', async () => {
    app = await startTickBus({ serviceName: 'batched' });
    const bus = app.get(EventBusService);
    const [evalsBefore, publishesBefore] = [
      await calls('eval'),
      await calls('publish'),
    ];
    // Mixed sizes: the 100 KB events split batches on size as well as on count.
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        bus.publish(i % 2 ? 'batch.odd' : 'batch.even', {
          i,
          pad: i % 100 === 0 ? 'x'.repeat(100_000) : '',
        }),
      ),
    );
    expect(new Set(results.map(result => result.eventId)).size).toBe(500);
    expect((await calls('publish')) - publishesBefore).toBe(500);
    const evals = (await calls('eval')) - evalsBefore;
    expect(evals).toBeGreaterThanOrEqual(Math.ceil(500 / 64));
    expect(evals).toBeLessThan(50);
    await waitUntil(
      () => heard.length === 500,
      5000,
      'all 500 events at the raw subscriber',
    );
    expect(heardData<{ i: number }>().map(data => data.i)).toEqual(
      Array.from({ length: 500 }, (_, i) => i),
    );
  });

  it('sends a tick of a few publishes as plain PUBLISHes, no script, in order', async () => {
    app = await startTickBus({ serviceName: 'few-per-tick' });
    const bus = app.get(EventBusService);
    const [evalsBefore, publishesBefore] = [
      await calls('eval'),
      await calls('publish'),
    ];
    // 5 per tick, well under MIN_SCRIPT_EVENTS: a steady moderate rate.
    for (let tick = 0; tick < 10; tick++) {
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          bus.publish('few.per.tick', { i: tick * 5 + i }),
        ),
      );
    }
    expect(await calls('eval')).toBe(evalsBefore);
    expect((await calls('publish')) - publishesBefore).toBe(50);
    await waitUntil(() => heard.length === 50, 5000, 'all 50 events');
    expect(heardData<{ i: number }>().map(data => data.i)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it('fails only the events of a channel Redis refuses (ACL), and delivers the rest of their batch', async () => {
    app = await startBusApp(
      await limitedUser('events-writer', ['eventbus:allowed.*']),
      { serviceName: 'acl-channels' },
    );
    const bus = app.get(EventBusService);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        bus.publish(i % 4 === 0 ? 'denied.event' : 'allowed.event', { i }),
      ),
    );
    const refused = outcomes.flatMap((outcome, i) =>
      outcome.status === 'rejected' ? [i] : [],
    );
    expect(refused).toEqual([0, 4, 8, 12, 16]);
    for (const i of refused) {
      const { reason } = outcomes[i] as PromiseRejectedResult;
      expect(reason).toBeInstanceOf(EventBusUnavailableError);
      expect((reason as Error).message).toMatch(
        /"denied\.event" failed: .*(NOPERM|can't publish to the channel)/,
      );
    }
    await waitUntil(() => heard.length === 15, 5000, 'the 15 allowed events');
    expect(heardData<{ i: number }>().map(data => data.i)).toEqual([
      1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15, 17, 18, 19,
    ]);
    expect(bus.isConnected()).toBe(true);
  });

  it('falls back to one PUBLISH per event when Redis refuses scripts, losing nothing', async () => {
    app = await startBusApp(
      await limitedUser('no-scripts', ['eventbus:*'], ['-@scripting']),
      { serviceName: 'no-scripts' },
    );
    const bus = app.get(EventBusService);
    const evalsBefore = await calls('eval');
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => bus.publish('plain.event', { i })),
    );
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        bus.publish('plain.event', { i: 100 + i }),
      ),
    );
    await waitUntil(() => heard.length === 200, 5000, 'all 200 events');
    expect(heardData<{ i: number }>().map(data => data.i)).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    );
    // Refused calls are not counted as calls: no script ever ran.
    expect(await calls('eval')).toBe(evalsBefore);
  });

  it('starts and delivers when Redis refuses its control channels (ACL); a durable subscribe says which ACL rule is missing', async () => {
    // PSUBSCRIBE needs its glob allowed literally, hence the second channel rule.
    app = await startBusApp(
      await redisUser('events-only', [
        '&eventbus:*',
        '&eventbus:chat.*',
        '+@all',
      ]),
      { serviceName: 'no-control' },
    );
    const bus = app.get(EventBusService);
    const handled = new Collector<EventEnvelope>();
    await expect(
      bus.subscribe('ledger.*', handled.push, {
        durable: true,
        group: 'ledger',
      }),
    ).rejects.toThrow(
      /control channel "eventbus#durable" \(NOPERM.*ACL "&eventbus#durable"/,
    );
    await bus.subscribe('chat.*', handled.push);
    await bus.publish('chat.message', { n: 2 });
    await handled.waitFor(1, 5000);
    expect(bus.isConnected()).toBe(true);
  });

  it('sends what was published in the tick of close() before it quits', async () => {
    app = await startTickBus({ serviceName: 'closing' });
    const bus = app.get(EventBusService);
    const sent = Array.from({ length: 10 }, (_, i) =>
      bus.publish('last.words', { i }),
    );
    await app.close();
    app = undefined;
    await Promise.all(sent);
    await waitUntil(
      () => heard.length === 10,
      5000,
      'the 10 events published just before close()',
    );
  });

  it('with batchPublishes: false, sends one PUBLISH per event and no script', async () => {
    app = await startTickBus({
      serviceName: 'unbatched',
      redis: { batchPublishes: false },
    });
    const bus = app.get(EventBusService);
    const evalsBefore = await calls('eval');
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => bus.publish('one.by.one', { i })),
    );
    await waitUntil(() => heard.length === 100, 5000, 'all 100 events');
    expect(heardData<{ i: number }>().map(data => data.i)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    expect(await calls('eval')).toBe(evalsBefore);
  });
});
