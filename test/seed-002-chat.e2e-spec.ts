import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';
import { DemoProcess } from './utils/demo-process.js';

/**
 * Seed 002 (T039)'s chat flow, by a client written only from the seed: plain
 * socket.io-client, a JWT in `auth.token`, the seed's event names. Two users on
 * two demo instances (two processes on one Redis) converse, type, read, one goes
 * offline and comes back to their history, and everything is still there after
 * both instances restart.
 */

interface Received {
  name: string;
  payload: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A seed client: every event it gets, by name, in order; requests with an ack. */
interface SeedClient {
  socket: Socket;
  received: Received[];
  named(name: string): any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  ask(name: string, payload?: unknown): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  waitFor(
    name: string,
    match?: (payload: any) => boolean, // eslint-disable-line @typescript-eslint/no-explicit-any
    what?: string,
  ): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): void;
}

const JWT_SECRET = 'seed-002-e2e-secret-0123456789abcdef';
const CHAT = 'dm:alice:bob';

describe('seed 002: chat across two instances', () => {
  let redis: RedisServer;
  let a: DemoProcess;
  let b: DemoProcess;
  let dataDir: string;
  let env: Record<string, string>;
  const clients: SeedClient[] = [];

  async function connectAs(demo: DemoProcess, userId: string) {
    const { body } = await demo.json<{ token: string }>('/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    });
    const socket = io(demo.url(''), {
      auth: { token: body.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const received: Received[] = [];
    socket.onAny((name: string, payload: unknown) =>
      received.push({ name, payload }),
    );
    const named = (name: string) =>
      received.filter(r => r.name === name).map(r => r.payload);
    const client: SeedClient = {
      socket,
      received,
      named,
      ask: (name, payload) =>
        payload === undefined
          ? socket.timeout(10_000).emitWithAck(name)
          : socket.timeout(10_000).emitWithAck(name, payload),
      async waitFor(name, match = () => true, what = name) {
        await waitUntil(() => named(name).some(match), 15_000, what);
        return named(name).find(match);
      },
      close: () => socket.close(),
    };
    clients.push(client);
    await client.waitFor('connection:established');
    return client;
  }

  /** The seed's `message:new` carries the message; ours is the room event whose `data` it is. */
  const message = (payload: { data: { content: string } }) => payload.data;

  beforeAll(async () => {
    redis = await RedisServer.start();
    dataDir = mkdtempSync(join(tmpdir(), 'seed-002-data-'));
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
    clients.forEach(c => c.close());
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('converses, types, reads, goes offline and comes back to its history, also after a restart', async () => {
    const alice = await connectAs(a, 'alice');
    const bob = await connectAs(b, 'bob');

    // Converse: message:send is stored, acked, and message:new reaches both sides.
    const sent = await alice.ask('message:send', {
      chatId: CHAT,
      content: 'Hi Bob!',
      clientMessageId: 'c-1',
    });
    expect(sent).toMatchObject({
      ok: true,
      message: {
        chatId: CHAT,
        senderId: 'alice',
        content: 'Hi Bob!',
        clientMessageId: 'c-1',
        deleted: false,
        reactions: {},
      },
    });
    expect(typeof sent.message.id).toBe('string');
    expect(Date.parse(sent.message.createdAt)).not.toBeNaN();
    for (const side of [alice, bob]) {
      const event = await side.waitFor(
        'message:new',
        p => p.data.id === sent.message.id,
        'message:new of the first message',
      );
      expect(event.room).toBe(`chat:${CHAT}`);
      expect(message(event)).toEqual(sent.message);
    }
    const reply = await bob.ask('message:send', {
      chatId: CHAT,
      content: 'Hello Alice',
    });
    expect(reply.ok).toBe(true);
    await alice.waitFor('message:new', p => p.data.id === reply.message.id);

    // A retried send (same clientMessageId) is stored once.
    const retried = await alice.ask('message:send', {
      chatId: CHAT,
      content: 'Hi Bob!',
      clientMessageId: 'c-1',
    });
    expect(retried.message.id).toBe(sent.message.id);

    // Type: the other side sees typing:start and then, not renewed, typing:stop; the sender neither.
    expect(await bob.ask('typing:start', { chatId: CHAT })).toEqual({
      ok: true,
    });
    expect(
      await alice.waitFor('typing:start', p => p.userId === 'bob'),
    ).toEqual({ chatId: CHAT, userId: 'bob' });
    expect(await alice.waitFor('typing:stop', p => p.userId === 'bob')).toEqual(
      { chatId: CHAT, userId: 'bob' },
    );
    expect(bob.named('typing:start')).toEqual([]);
    expect(bob.named('typing:stop')).toEqual([]);

    // Read: the receipt is pushed to the chat and stored.
    const read = await alice.ask('message:read', {
      chatId: CHAT,
      messageId: reply.message.id,
    });
    expect(read).toMatchObject({
      ok: true,
      receipt: { chatId: CHAT, userId: 'alice', messageId: reply.message.id },
    });
    const pushed = await bob.waitFor(
      'message:read',
      p => p.data.userId === 'alice',
    );
    expect(pushed.data).toEqual({
      chatId: CHAT,
      userId: 'alice',
      messageId: reply.message.id,
      readAt: read.receipt.readAt,
    });
    const stored = await bob.ask('chat:history', { chatId: CHAT });
    expect(stored.reads).toContainEqual(
      expect.objectContaining({
        userId: 'alice',
        messageId: reply.message.id,
      }),
    );

    // Offline: bob hears it with lastSeen; what he sends meanwhile waits for alice.
    alice.close();
    const offline = await bob.waitFor(
      'user:status',
      p => p.userId === 'alice' && p.status === 'offline',
      'user:status offline of alice',
    );
    expect(Date.parse(offline.lastSeen)).not.toBeNaN();
    const missed: string[] = [];
    for (const content of ['Are you there?', 'Call me back']) {
      const ack = await bob.ask('message:send', { chatId: CHAT, content });
      missed.push(ack.message.id);
    }

    // Back, on the other instance: unread counts and the history.
    const back = await connectAs(b, 'alice');
    await bob.waitFor(
      'user:status',
      p => p.userId === 'alice' && p.status === 'online',
      'user:status online of alice',
    );
    const list = await back.ask('chat:list');
    expect(list.ok).toBe(true);
    expect(list.chats).toEqual([
      expect.objectContaining({
        chatId: CHAT,
        kind: 'direct',
        members: ['alice', 'bob'],
        unread: 2,
        peer: { userId: 'bob', online: true },
      }),
    ]);
    const history = await back.ask('chat:history', { chatId: CHAT });
    expect(history.messages.map((m: { content: string }) => m.content)).toEqual(
      ['Hi Bob!', 'Hello Alice', 'Are you there?', 'Call me back'],
    );
    expect(history.messages.slice(-2).map((m: { id: string }) => m.id)).toEqual(
      missed,
    );
    // The socket joined the chat on connect: bob's next message reaches it without asking.
    const live = await bob.ask('message:send', {
      chatId: CHAT,
      content: 'There you are',
    });
    await back.waitFor('message:new', p => p.data.id === live.message.id);
    expect(
      (await back.ask('chat:read-all', { chatId: CHAT })).receipt,
    ).toMatchObject({ messageId: live.message.id });
    expect((await back.ask('chat:list')).chats[0].unread).toBe(0);

    // Both instances restart: the messages and receipts were in Redis.
    clients.forEach(c => c.close());
    await Promise.all([a.stop(), b.stop()]);
    [a, b] = await Promise.all([
      DemoProcess.start(a.port, env),
      DemoProcess.start(b.port, env),
    ]);
    const aliceAgain = await connectAs(a, 'alice');
    const bobAgain = await connectAs(b, 'bob');
    const after = await aliceAgain.ask('chat:history', { chatId: CHAT });
    expect(after.messages.map((m: { content: string }) => m.content)).toEqual([
      'Hi Bob!',
      'Hello Alice',
      'Are you there?',
      'Call me back',
      'There you are',
    ]);
    // Bob never read alice's first message; alice read everything.
    expect((await bobAgain.ask('chat:list')).chats[0]).toMatchObject({
      chatId: CHAT,
      unread: 1,
    });
    expect((await aliceAgain.ask('chat:list')).chats[0]).toMatchObject({
      unread: 0,
      lastMessage: { content: 'There you are' },
    });
    const first = await bobAgain.ask('message:send', {
      chatId: CHAT,
      content: 'Back online',
    });
    await aliceAgain.waitFor(
      'message:new',
      p => p.data.id === first.message.id,
    );
  }, 120_000);

  it('edits, deletes and reacts (author only), and refuses what a member may not do', async () => {
    const alice = await connectAs(a, 'alice');
    const bob = await connectAs(b, 'bob');
    const { message: sent } = await alice.ask('message:send', {
      chatId: CHAT,
      content: 'typo',
    });

    const edited = await alice.ask('message:edit', {
      messageId: sent.id,
      content: 'fixed',
    });
    expect(edited.message).toMatchObject({ id: sent.id, content: 'fixed' });
    expect(Date.parse(edited.message.editedAt)).not.toBeNaN();
    await bob.waitFor(
      'message:edited',
      p => p.data.id === sent.id && p.data.content === 'fixed',
    );
    expect(
      await bob.ask('message:edit', { messageId: sent.id, content: 'mine' }),
    ).toMatchObject({ ok: false, code: 'forbidden' });

    const reacted = await bob.ask('message:react', {
      messageId: sent.id,
      emoji: '👍',
    });
    expect(reacted.reaction).toMatchObject({
      added: true,
      reactions: { '👍': ['bob'] },
    });
    await alice.waitFor(
      'message:reaction',
      p => p.data.messageId === sent.id && p.data.added,
    );
    const toggled = await bob.ask('message:react', {
      messageId: sent.id,
      emoji: '👍',
    });
    expect(toggled.reaction).toMatchObject({ added: false, reactions: {} });

    expect(
      await bob.ask('message:delete', { messageId: sent.id }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    const deleted = await alice.ask('message:delete', { messageId: sent.id });
    expect(deleted.message).toMatchObject({ deleted: true, content: '' });
    await bob.waitFor(
      'message:deleted',
      p => p.data.id === sent.id && p.data.deleted,
    );

    // A photo's comment thread: its owner's (photos are private in the demo).
    const { body } = await a.json<{ token: string }>('/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'alice' }),
    });
    const photo = await a.json<{ photoId: string }>('/photos', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${body.token}`,
      },
      body: JSON.stringify({
        filename: 'a.jpg',
        size: 1000,
        mimeType: 'image/jpeg',
      }),
    });
    const thread = `photo:${photo.body.photoId}`;
    const comment = await alice.ask('message:send', {
      chatId: thread,
      content: 'Note to self: crop this',
    });
    expect(comment).toMatchObject({ ok: true, message: { chatId: thread } });
    await alice.waitFor('message:new', p => p.data.id === comment.message.id);
    expect(await bob.ask('chat:history', { chatId: thread })).toMatchObject({
      ok: false,
      code: 'forbidden',
    });

    // Not a member, not a chat, not valid: refused in the ack, the socket stays.
    const carol = await connectAs(a, 'carol');
    expect(
      await carol.ask('message:send', { chatId: CHAT, content: 'hi' }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await carol.ask('chat:history', { chatId: CHAT })).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    expect(await carol.ask('typing:start', { chatId: CHAT })).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    expect(
      await carol.ask('message:send', {
        chatId: CHAT,
        content: 'x'.repeat(2001),
      }),
    ).toMatchObject({ ok: false, code: 'invalid' });
    expect(
      await carol.ask('message:send', { chatId: 'dm:bob:alice', content: 'x' }),
    ).toMatchObject({ ok: false, code: 'invalid' });
    expect(await carol.ask('message:send', 'nonsense')).toMatchObject({
      ok: false,
      code: 'invalid',
    });
    expect(
      await carol.ask('subscribe', { room: `chat:${CHAT}` }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await carol.ask('chat:list')).toEqual({ ok: true, chats: [] });
    expect(carol.named('message:new')).toEqual([]);
    expect(carol.socket.connected).toBe(true);
  }, 60_000);

  it('works the same on one instance with the memory transport (no REDIS_URL)', async () => {
    const single = await DemoProcess.start(await freePort(), {
      REDIS_URL: undefined,
      DATA_DIR: dataDir,
      JWT_SECRET,
    });
    try {
      const alice = await connectAs(single, 'alice');
      const bob = await connectAs(single, 'bob');
      const sent = await alice.ask('message:send', {
        chatId: CHAT,
        content: 'memory',
      });
      await bob.waitFor('message:new', p => p.data.id === sent.message.id);
      await alice.ask('typing:start', { chatId: CHAT });
      await bob.waitFor('typing:stop', p => p.userId === 'alice');
      expect(alice.named('typing:start')).toEqual([]);
      alice.close();
      await bob.waitFor(
        'user:status',
        p => p.userId === 'alice' && p.status === 'offline',
      );
      expect((await bob.ask('chat:list')).chats[0]).toMatchObject({
        chatId: CHAT,
        unread: 1,
        peer: { userId: 'alice', online: false },
      });
      bob.close();
    } finally {
      await single.stop();
    }
  }, 60_000);
});
