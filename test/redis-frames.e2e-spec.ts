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
  InvalidConfigurationError,
  type EventBusModuleOptions,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { Redis } from 'ioredis';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { Collector, waitUntil } from './utils/collector.js';

const RS = '\u001e';
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

type Data = { n: number };
const numbers = (events: EventEnvelope[]) =>
  events.map(e => (e.data as Data).n);
const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => from + i);

/**
 * `redis.frames`: a publisher that carries many events per pub/sub message,
 * heard by buses with and without the option, over a real redis-server.
 */
describe('Redis frames (redis.frames)', () => {
  let redis: RedisServer;
  const apps: INestApplicationContext[] = [];
  const raws: Redis[] = [];

  const bus = async (
    serviceName: string,
    redisOptions: EventBusModuleOptions['redis'] = {},
  ) => {
    const app = await startBusApp(redis.url, {
      serviceName,
      redis: redisOptions,
    });
    apps.push(app);
    return app.get(EventBusService);
  };

  /** A raw subscriber on one channel: what a foreign client sees. */
  const rawSubscriber = async (channel: string) => {
    const raw = new Redis(redis.url);
    raws.push(raw);
    const messages: string[] = [];
    raw.on('message', (_channel: string, message: string) =>
      messages.push(message),
    );
    await raw.subscribe(channel);
    return messages;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterEach(async () => {
    for (const raw of raws.splice(0)) raw.disconnect();
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('N published = N handled, in order, by exact and wildcard handlers of a frames-on and a frames-off subscriber', async () => {
    const framed = await bus('sub-framed', { frames: true });
    const plain = await bus('sub-plain');
    const framedExact = new Collector();
    const framedWild = new Collector();
    const plainWild = new Collector();
    // Exact and wildcard on one bus: Redis sends each frame twice (SUBSCRIBE and PSUBSCRIBE), heard once.
    await framed.subscribe('frame.tick', framedExact.push);
    await framed.subscribe('frame.*', framedWild.push);
    // Frames off, wildcard only: PSUBSCRIBE's pmessage carries the frames.
    await plain.subscribe('frame.*', plainWild.push);
    const wire = await rawSubscriber('eventbus:frame.tick');
    const publisher = await bus('pub', { frames: { maxEvents: 50 } });

    const N = 3000;
    for (let from = 0; from < N; from += 500) {
      const results = await Promise.all(
        range(from, from + 500).map(n =>
          publisher.publish('frame.tick', { n }),
        ),
      );
      expect(results.every(r => r.success)).toBe(true);
    }
    // One more, after every other: anything twice would have come before it.
    await publisher.publish('frame.tick', { n: N });

    for (const collector of [framedExact, framedWild, plainWild]) {
      await collector.waitFor(N + 1, 10_000);
      expect(numbers(collector.items)).toEqual(range(0, N + 1));
      const seqs = collector.items.map(e => e.metadata.seq!);
      expect(seqs).toEqual(range(seqs[0], seqs[0] + N + 1));
    }
    for (const sub of [framed, plain]) {
      expect(sub.getStats().eventsMissed).toBe(0);
      expect(sub.getStats().eventsMalformed).toBe(0);
    }
    // The events did travel in frames, of at most 50 events each, every event once.
    await waitUntil(() => wire.length > 0 && wire.at(-1)!.includes(`"n":${N}`));
    const frames = wire.filter(message => message.startsWith(RS));
    expect(frames.length).toBeGreaterThan(0);
    expect(wire.length).toBeLessThan(N);
    expect(wire.length).toBeGreaterThanOrEqual((N + 1) / 50);
    const carried = wire.flatMap(message =>
      message.startsWith(RS) ? message.slice(1).split(RS) : [message],
    );
    expect(
      carried.map(e => (JSON.parse(e) as EventEnvelope<string, Data>).data.n),
    ).toEqual(range(0, N + 1));
  });

  it('a targeted event reaches the gateway route through a frame too (publish promise resolves once per event)', async () => {
    const sub = await bus('sub-gateway');
    const wire = await rawSubscriber('eventbus#gateway');
    const publisher = await bus('pub-gateway', { frames: true });
    const all = new Collector();
    await sub.subscribe('room.note', all.push);
    const results = await Promise.all(
      range(0, 20).map(n =>
        publisher.publishToRoom('room-1', 'room.note', { n }),
      ),
    );
    expect(results.every(r => r.success)).toBe(true);
    await all.waitFor(20);
    expect(numbers(all.items)).toEqual(range(0, 20));
    await waitUntil(() => wire.length > 0);
    expect(wire[0].startsWith(RS)).toBe(true);
    expect(wire[0].slice(1).split(RS)).toHaveLength(20);
  });

  it('a malformed frame is counted and dropped, never a crash; the sound events in it are handled', async () => {
    const sub = await bus('sub-malformed');
    const heard = new Collector();
    await sub.subscribe('frame.bad', heard.push);
    const envelope = (n: number) =>
      JSON.stringify({
        id: `bad-${n}`,
        type: 'frame.bad',
        data: { n },
        metadata: {
          source: 'raw',
          timestamp: new Date().toISOString(),
          traceId: `t-${n}`,
        },
        version: 1,
      });
    const raw = new Redis(redis.url);
    raws.push(raw);
    await raw.publish('eventbus:frame.bad', RS); // no event at all
    await raw.publish(
      'eventbus:frame.bad',
      `${RS}${envelope(1)}${RS}${RS}not json${RS}${envelope(2)}`,
    );
    await raw.publish('eventbus:frame.bad', envelope(3)); // plain, after them
    await heard.waitFor(3);
    expect(numbers(heard.items)).toEqual([1, 2, 3]);
    // The empty frame, the empty record of the second, and its "not json".
    expect(sub.getStats().eventsMalformed).toBe(3);
  });

  it('a Redis kill mid-stream: every event a subscriber did not hear is counted missed from the seq gaps', async () => {
    const sub = await bus('sub-kill', { frames: true });
    const heard = new Collector();
    await sub.subscribe('frame.kill', heard.push);
    const publisher = await bus('pub-kill', {
      frames: true,
      maxRetriesPerRequest: 100,
    });

    const accepted = new Set<number>();
    const refused = new Set<number>();
    let n = 0;
    let stop = false;
    const publishing = (async () => {
      while (!stop) {
        const burst = range(n, n + 25);
        n += 25;
        await Promise.all(
          burst.map(k =>
            publisher.publish('frame.kill', { n: k }).then(
              () => accepted.add(k),
              () => refused.add(k),
            ),
          ),
        );
        await sleep(5);
      }
    })();
    await heard.waitFor(500, 10_000);
    await redis.kill();
    await sleep(300);
    await redis.start();
    const atRestart = heard.length;
    await waitUntil(() => heard.length >= atRestart + 500, 20_000);
    stop = true;
    await publishing;
    const last = n - 1;
    await waitUntil(() =>
      heard.items.some(e => (e.data as Data).n === last),
    ).catch(() => undefined);

    const seqs = new Set(heard.items.map(e => e.metadata.seq!));
    const first = Math.min(...seqs);
    const highest = Math.max(...seqs);
    // Heard once each, and only what the publisher did not refuse.
    const heardNumbers = numbers(heard.items);
    expect(new Set(heardNumbers).size).toBe(heardNumbers.length);
    expect(heardNumbers.filter(k => refused.has(k))).toEqual([]);
    // Between the first and the last event heard, each one is heard or counted missed.
    expect(seqs.size + sub.getStats().eventsMissed).toBe(highest - first + 1);
    console.log(
      `[frames kill] published=${n} accepted=${accepted.size} refused=${refused.size} heard=${seqs.size} missed=${sub.getStats().eventsMissed}`,
    );
  }, 60_000);

  it('a misspelled frames option fails the start, naming its path and the real key', async () => {
    const started = startBusApp(redis.url, {
      serviceName: 'options',
      redis: { frames: { maxEvent: 10 } } as EventBusModuleOptions['redis'],
    });
    await expect(started).rejects.toBeInstanceOf(InvalidConfigurationError);
    await expect(started).rejects.toThrow(
      'Unknown option "redis.frames.maxEvent" of EventBusModule: did you mean "redis.frames.maxEvents"?',
    );
  });
});
