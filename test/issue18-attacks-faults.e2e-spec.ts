import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { ChildApp } from './utils/child-app.js';
import { waitUntil } from './utils/collector.js';
import { DemoProcess } from './utils/demo-process.js';
import { connectClient, tokenFor } from './utils/gateway-client.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- wire payloads, read as a plain client would */

const JWT_SECRET = 'e2e-secret-with-enough-length-0123456789';
const CHAT = 'dm:alice:bob';

/**
 * The demo's chat while its Redis is killed (SIGKILL) mid-conversation and
 * started again (append-only, so what was stored is kept), then both
 * instances restarted. Every send is counted: an `ok` ack means stored and
 * delivered once to the other side, live; a refusal means never delivered
 * nor kept, and says `unavailable` (try again), not `internal`.
 */
describe('Issue 18 attacks: the chat while Redis dies (two instances)', () => {
  let redis: RedisServer;
  let a: DemoProcess;
  let b: DemoProcess;
  let env: Record<string, string>;
  let dataDir: string;
  const sockets: Socket[] = [];

  function connect(demo: DemoProcess, userId: string) {
    const socket = io(demo.url(''), {
      auth: { token: tokenFor(userId) },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    const received: Array<{ name: string; payload: any }> = [];
    socket.onAny((name: string, payload: unknown) =>
      received.push({ name, payload }),
    );
    return new Promise<{
      socket: Socket;
      named: (name: string) => any[];
      ask: (name: string, payload: unknown, ms?: number) => Promise<any>;
    }>((resolve, reject) => {
      socket.once('connection:established', () =>
        resolve({
          socket,
          named: name =>
            received.filter(r => r.name === name).map(r => r.payload),
          ask: (name, payload, ms = 10_000) =>
            socket
              .timeout(ms)
              .emitWithAck(name, payload)
              .catch(() => ({ ok: false, code: 'no answer' })),
        }),
      );
      socket.once('connect_error', reject);
    });
  }

  beforeAll(async () => {
    redis = await RedisServer.start({
      config: { appendonly: 'yes', appendfsync: 'always' },
    });
    dataDir = mkdtempSync(join(tmpdir(), 'issue18-faults-'));
    env = {
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      JWT_SECRET,
      PHOTO_STAGE_MIN_MS: '0',
    };
    [a, b] = await Promise.all([
      DemoProcess.start(await freePort(), env),
      DemoProcess.start(await freePort(), env),
    ]);
  }, 60_000);

  afterAll(async () => {
    sockets.forEach(s => s.close());
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('acks a send only when it is stored and delivered; refuses the others as unavailable and never delivers them; the history survives restarts', async () => {
    const alice = await connect(a, 'alice');
    const bob = await connect(b, 'bob');
    const outcomes = new Map<string, string>();
    const send = async (content: string, ms?: number) => {
      const ack = await alice.ask(
        'message:send',
        { chatId: CHAT, content, clientMessageId: content },
        ms,
      );
      outcomes.set(content, ack.ok ? 'ok' : ack.code);
    };
    for (let i = 0; i < 5; i++) await send(`before-${i}`);
    await redis.kill();
    // While Redis is away, a few at once, as a busy client would.
    await Promise.all([0, 1, 2].map(i => send(`during-${i}`, 30_000)));
    await redis.start();
    await waitUntil(
      async () => (await alice.ask('chat:list', {})).ok === true,
      30_000,
      'the chat store back',
    );
    // Until one reaches bob live: his instance's bus subscriber is back by then.
    const reachesBob = (content: string) =>
      waitUntil(
        () => bob.named('message:new').some(e => e.data.content === content),
        1000,
      ).then(
        () => true,
        () => false,
      );
    let sentAfter = 0;
    do await send(`after-${sentAfter++}`);
    while (!(await reachesBob(`after-${sentAfter - 1}`)) && sentAfter < 30);
    expect(sentAfter).toBeLessThan(30);

    const accepted = [...outcomes]
      .filter(([, o]) => o === 'ok')
      .map(([c]) => c);
    const refused = [...outcomes].filter(([, o]) => o !== 'ok');
    expect(accepted).toEqual(
      expect.arrayContaining([
        ...[0, 1, 2, 3, 4].map(i => `before-${i}`),
        ...Array.from({ length: sentAfter }, (_, i) => `after-${i}`),
      ]),
    );
    // Nothing can be stored while Redis is away; the refusal says "try again", never "internal".
    expect(refused.map(([content]) => content).sort()).toEqual([
      'during-0',
      'during-1',
      'during-2',
    ]);
    for (const [content, code] of refused)
      expect([content, code]).toEqual([content, 'unavailable']);

    // Delivered: every accepted one, each once; no refused one ever. Accepted ones that bob's
    // instance published while its bus subscriber was still reconnecting after the restart reach
    // him from the room history once it is back (the gateway repairs its rooms after an outage).
    await waitUntil(
      () =>
        accepted.every(content =>
          bob.named('message:new').some(e => e.data.content === content),
        ),
      15_000,
      'every accepted message at bob',
    );
    const delivered = bob.named('message:new').map(e => e.data.content);
    expect(new Set(delivered).size).toBe(delivered.length);
    for (const content of delivered) expect(accepted).toContain(content);
    for (const content of [0, 1, 2, 3, 4].map(i => `before-${i}`))
      expect(delivered).toContain(content);

    const history = async (demo: DemoProcess) => {
      const reader = await connect(demo, 'bob');
      const page = await reader.ask('chat:history', {
        chatId: CHAT,
        limit: 100,
      });
      reader.socket.close();
      return (page.messages as Array<{ content: string }>).map(m => m.content);
    };
    expect((await history(a)).sort()).toEqual([...accepted].sort());

    // Both instances restart: the history is Redis', and survives.
    await Promise.all([a.stop(), b.stop()]);
    [a, b] = await Promise.all([
      DemoProcess.start(await freePort(), env),
      DemoProcess.start(await freePort(), env),
    ]);
    expect((await history(b)).sort()).toEqual([...accepted].sort());
  }, 180_000);

  it.todo(
    'a send whose message was stored but whose announcement (publishToRoom) failed is acked unavailable; retried with its clientMessageId it is acked ok as a duplicate and never announced: the other side only sees it in chat:history (needs an "announced" mark in the store, re-published on a duplicate that lacks it)',
  );

  it("typing:start relayed from an instance that then dies (SIGKILL) is followed by typing:stop from the receiver's own instance", async () => {
    const alice = await connect(a, 'alice');
    // The chat exists before bob connects: his sockets join its room on connect.
    const first = await alice.ask('message:send', {
      chatId: CHAT,
      content: 'typing next',
      clientMessageId: 'typing-next',
    });
    expect(first.ok).toBe(true);
    const bob = await connect(b, 'bob');
    expect(await alice.ask('typing:start', { chatId: CHAT })).toEqual({
      ok: true,
    });
    await waitUntil(
      () => bob.named('typing:start').some(n => n.userId === 'alice'),
      10_000,
      'typing:start at bob',
    );
    // Renewed once: one typing, one start.
    expect(await alice.ask('typing:start', { chatId: CHAT })).toEqual({
      ok: true,
    });
    await a.kill();
    await waitUntil(
      () => bob.named('typing:stop').some(n => n.userId === 'alice'),
      15_000,
      "typing:stop at bob after alice's instance died",
    );
    expect(bob.named('typing:start')).toEqual([
      { chatId: CHAT, userId: 'alice' },
    ]);
    expect(bob.named('typing:stop')).toEqual([
      { chatId: CHAT, userId: 'alice' },
    ]);
    a = await DemoProcess.start(await freePort(), env);
  }, 60_000);
});

/**
 * Two gateway instances on one Redis; the bus subscribers are cut (CLIENT KILL
 * TYPE pubsub) and room events published from A at once, before B's subscriber
 * can be back: B's sockets did not disconnect, so they never ask for a
 * recovery. B replays its rooms' history once its subscriber is back.
 */
describe('Issue 18 attacks: room events while a subscriber reconnects', () => {
  let redis: RedisServer;
  let a: ChildApp;
  let b: ChildApp;
  let raw: Redis;

  beforeAll(async () => {
    redis = await RedisServer.start();
    [a, b] = await Promise.all([
      ChildApp.start('gateway/gateway-instance.main', { REDIS_URL: redis.url }),
      ChildApp.start('gateway/gateway-instance.main', { REDIS_URL: redis.url }),
    ]);
    raw = new Redis(redis.url);
  }, 60_000);

  afterAll(async () => {
    raw?.disconnect();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it("every room event acked to the publisher while the other instance's subscriber was away reaches that instance's sockets once, in the history's order", async () => {
    const urlB = `http://127.0.0.1:${await b.request<number>({ cmd: 'port' })}`;
    const room = 'photo:bob-1';
    const bob = await connectClient(urlB, { token: tokenFor('bob') });
    const bob2 = await connectClient(urlB, {
      token: tokenFor('bob', { clientId: 'phone' }),
    });
    for (const client of [bob, bob2])
      expect(await client.request('subscribe', { room })).toEqual({ ok: true });
    const publish = (seq: number) =>
      a
        .request({
          cmd: 'publishToRoom',
          room,
          type: 'photo.processing.progress',
          data: { photoId: 'bob-1', progress: seq },
        })
        .then(
          () => true,
          () => false,
        );
    const seqsOf = (client: typeof bob) =>
      client.events.items
        .filter(e => e.type === 'photo.processing.progress')
        .map(e => (e.data as { progress: number }).progress);

    let seq = 0;
    const acked: number[] = [];
    for (; seq < 3; seq++) if (await publish(seq)) acked.push(seq);
    await waitUntil(() => seqsOf(bob).length === 3, 10_000, 'before the cut');
    const before = (await b.request<any>({ cmd: 'stats' })) as {
      eventsReplayed: number;
    };

    // Cut every subscriber, then publish at once: B cannot have resubscribed yet.
    await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    const during = Array.from({ length: 40 }, () => seq++);
    const outcomes = await Promise.all(during.map(publish));
    during.forEach((s, i) => outcomes[i] && acked.push(s));
    // Then until one reaches B live: its subscriber is back by then.
    for (let tries = 0; tries < 20; tries++) {
      const last = seq++;
      if (await publish(last)) acked.push(last);
      const live = await waitUntil(() => seqsOf(bob).includes(last), 1000).then(
        () => true,
        () => false,
      );
      if (live) break;
    }
    await waitUntil(
      () =>
        acked.every(s => seqsOf(bob).includes(s) && seqsOf(bob2).includes(s)),
      10_000,
      'every acked event at B',
    );
    const after = (await b.request<any>({ cmd: 'stats' })) as {
      eventsReplayed: number;
      roomsNotRepaired: number;
    };
    const history = await bob.request('history', { room, limit: 500 });
    const stored = (history.events as Array<{ data: { progress: number } }>)
      .map(e => e.data.progress)
      .filter(s => acked.includes(s));
    expect([...stored].sort((x, y) => x - y)).toEqual(acked);
    // Each once, in the history's order; nothing left uncounted.
    for (const client of [bob, bob2]) expect(seqsOf(client)).toEqual(stored);
    expect(after.roomsNotRepaired).toBe(0);
    console.info(
      `outage: ${during.length} published (${outcomes.filter(Boolean).length} acked); B replayed ${after.eventsReplayed - before.eventsReplayed} event(s) to its rooms; ${acked.length} acked in all`,
    );
    bob.close();
    bob2.close();
  }, 60_000);

  it('counts a room whose history was trimmed past the outage (roomsNotRepaired), and still delivers no event twice', async () => {
    // C reads at most 5 events of a room's history: what the outage left is more.
    const c = await ChildApp.start('gateway/gateway-instance.main', {
      REDIS_URL: redis.url,
      ROOM_HISTORY_MAX: '5',
    });
    try {
      const urlC = `http://127.0.0.1:${await c.request<number>({ cmd: 'port' })}`;
      const room = 'photo:carol-1';
      const carol = await connectClient(urlC, { token: tokenFor('carol') });
      expect(await carol.request('subscribe', { room })).toEqual({ ok: true });
      let seq = 0;
      const acked: number[] = [];
      const publish = async (n: number) => {
        const ok = await a
          .request({
            cmd: 'publishToRoom',
            room,
            type: 'photo.processing.progress',
            data: { photoId: 'carol-1', progress: n },
          })
          .then(
            () => true,
            () => false,
          );
        if (ok) acked.push(n);
      };
      const seqs = () =>
        carol.events.items
          .filter(e => e.type === 'photo.processing.progress')
          .map(e => (e.data as { progress: number }).progress);
      await publish(seq++);
      await waitUntil(() => seqs().length === 1, 10_000, 'before the cut');
      await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await Promise.all(Array.from({ length: 20 }, () => publish(seq++)));
      for (let tries = 0; tries < 20; tries++) {
        const last = seq++;
        await publish(last);
        const live = await waitUntil(() => seqs().includes(last), 1000).then(
          () => true,
          () => false,
        );
        if (live) break;
      }
      const stats = await c.request<{
        roomsNotRepaired: number;
        eventsReplayed: number;
      }>({ cmd: 'stats' });
      const got = seqs();
      expect(new Set(got).size).toBe(got.length);
      for (const n of got) expect(acked).toContain(n);
      // Some acked ones are missing: that is counted, not silent.
      expect(got.length).toBeLessThan(acked.length);
      expect(stats.roomsNotRepaired).toBeGreaterThanOrEqual(1);
      console.info(
        `trimmed: ${acked.length} acked, ${got.length} delivered at C (${stats.eventsReplayed} replayed), roomsNotRepaired ${stats.roomsNotRepaired}`,
      );
      carol.close();
    } finally {
      await c.stop();
    }
  }, 60_000);

  it("the library's typing signal relayed from an instance that then dies (SIGKILL) is followed by stopped from the receiver's own instance", async () => {
    const urlA = `http://127.0.0.1:${await a.request<number>({ cmd: 'port' })}`;
    const urlB = `http://127.0.0.1:${await b.request<number>({ cmd: 'port' })}`;
    const alice = await connectClient(urlA, { token: tokenFor('alice') });
    const bob = await connectClient(urlB, { token: tokenFor('bob') });
    for (const client of [alice, bob])
      expect(await client.request('subscribe', { room: 'lobby' })).toEqual({
        ok: true,
      });
    const typing = () =>
      bob.events.items.filter(
        e => (e as unknown as { kind?: string }).kind === 'typing',
      ) as unknown as Array<{ state: string; from: { userId: string } }>;
    expect(
      await alice.request('signal', { room: 'lobby', kind: 'typing' }),
    ).toMatchObject({ ok: true });
    await waitUntil(() => typing().length === 1, 10_000, 'started at bob');
    a.kill('SIGKILL');
    await waitUntil(() => typing().length === 2, 15_000, 'stopped at bob');
    expect(typing().map(t => [t.state, t.from.userId])).toEqual([
      ['started', 'alice'],
      ['stopped', 'alice'],
    ]);
    alice.close();
    bob.close();
  }, 60_000);
});
