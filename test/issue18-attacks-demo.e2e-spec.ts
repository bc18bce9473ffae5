import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';
import { DemoProcess } from './utils/demo-process.js';
import { tokenFor } from './utils/gateway-client.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- wire payloads, read as a plain client would */

interface Outsider {
  socket: Socket;
  named(name: string): any[];
  ask(name: string, payload?: unknown): Promise<any>;
  close(): void;
}

/**
 * Issue 18's demo features (seed 003's photo flow, seed 002's chat) attacked
 * as an outsider would, from the README alone: a plain socket.io client with
 * hand-signed tokens (the same secret as the demo's `JWT_SECRET`), `fetch`
 * against the HTTP API, and Redis read directly. Two instances, one Redis.
 */
describe('Issue 18 attacks: the demo (two instances, Redis)', () => {
  let redis: RedisServer;
  let a: DemoProcess;
  let b: DemoProcess;
  let dataDir: string;
  let reader: Redis;
  const clients: Outsider[] = [];

  /** The e2e secret is the test utils' (test/utils/gateway-client.ts), given to the demo as JWT_SECRET. */
  async function connectAs(demo: DemoProcess, userId: string) {
    const socket = io(demo.url(''), {
      auth: { token: tokenFor(userId) },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const received: Array<{ name: string; payload: any }> = [];
    socket.onAny((name: string, payload: unknown) =>
      received.push({ name, payload }),
    );
    const named = (name: string) =>
      received.filter(r => r.name === name).map(r => r.payload);
    const client: Outsider = {
      socket,
      named,
      ask: (name, payload) =>
        payload === undefined
          ? socket.timeout(10_000).emitWithAck(name)
          : socket.timeout(10_000).emitWithAck(name, payload),
      close: () => socket.close(),
    };
    clients.push(client);
    await waitUntil(
      () => named('connection:established').length === 1,
      10_000,
      `${userId} connected`,
    );
    return client;
  }

  const bearer = (userId: string) => ({
    authorization: `Bearer ${tokenFor(userId)}`,
  });

  async function createPhoto(demo: DemoProcess, userId: string) {
    const { status, body } = await demo.json<{ photoId: string }>('/photos', {
      method: 'POST',
      headers: { ...bearer(userId), 'content-type': 'application/json' },
      body: JSON.stringify({
        filename: 'x.jpg',
        size: 10,
        mimeType: 'image/jpeg',
      }),
    });
    expect(status).toBe(202);
    return body.photoId;
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    reader = new Redis(redis.url);
    dataDir = mkdtempSync(join(tmpdir(), 'issue18-attacks-'));
    const env = {
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      JWT_SECRET: 'e2e-secret-with-enough-length-0123456789',
      PHOTO_STAGE_MIN_MS: '0',
      // Low, so that one test reaches it: every other one starts a chat or two per user.
      CHAT_NEW_CHATS_PER_DAY: '3',
    };
    [a, b] = await Promise.all([
      DemoProcess.start(await freePort(), env),
      DemoProcess.start(await freePort(), env),
    ]);
  }, 60_000);

  afterAll(async () => {
    clients.forEach(c => c.close());
    await Promise.all([a?.stop(), b?.stop()]);
    reader?.disconnect();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps strangers out of a direct chat and members off each other's messages", async () => {
    const alice = await connectAs(a, 'alice');
    const bob = await connectAs(b, 'bob');
    const carol = await connectAs(a, 'carol');
    const chatId = 'dm:alice:bob';
    const sent = await alice.ask('message:send', {
      chatId,
      content: '<img src=x onerror=alert(1)>',
    });
    expect(sent).toMatchObject({ ok: true });
    const messageId = sent.message.id;
    const forbidden = { ok: false, code: 'forbidden' };
    for (const [name, payload] of [
      ['message:send', { chatId, content: 'hi' }],
      ['chat:history', { chatId }],
      ['message:edit', { messageId, content: 'x' }],
      ['message:delete', { messageId }],
      ['message:react', { messageId, emoji: '👍' }],
      ['message:read', { chatId, messageId }],
      ['chat:read-all', { chatId }],
      ['typing:start', { chatId }],
      ['subscribe', { room: `chat:${chatId}` }],
      ['history', { room: `chat:${chatId}` }],
    ] as const)
      expect([name, await carol.ask(name, payload)]).toEqual([
        name,
        expect.objectContaining(forbidden),
      ]);
    expect(
      await bob.ask('message:edit', { messageId, content: 'x' }),
    ).toMatchObject(forbidden);
    expect(await bob.ask('message:delete', { messageId })).toMatchObject(
      forbidden,
    );
    // Stored as sent: the page renders it with textContent, never as HTML.
    expect((await bob.ask('chat:history', { chatId })).messages).toEqual([
      expect.objectContaining({ content: '<img src=x onerror=alert(1)>' }),
    ]);
  });

  it('takes one emoji as a reaction, and refuses words (__proto__, constructor, markup) instead of failing with internal', async () => {
    const dave = await connectAs(a, 'dave');
    const erin = await connectAs(b, 'erin');
    const { message } = await dave.ask('message:send', {
      chatId: 'dm:dave:erin',
      content: 'react to this',
    });
    for (const emoji of ['__proto__', 'constructor', 'toString', '<b>hi</b>'])
      expect([
        emoji,
        await erin.ask('message:react', { messageId: message.id, emoji }),
      ]).toEqual([emoji, expect.objectContaining({ code: 'invalid' })]);
    for (const emoji of ['👍', '❤', '❤️', '👍🏽', '🇫🇷'])
      expect(
        await erin.ask('message:react', { messageId: message.id, emoji }),
      ).toMatchObject({ ok: true, reaction: { emoji, added: true } });
    const [stored] = (
      await dave.ask('chat:history', { chatId: 'dm:dave:erin' })
    ).messages;
    expect(Object.keys(stored.reactions).sort()).toEqual(
      ['👍', '❤', '❤️', '👍🏽', '🇫🇷'].sort(),
    );
  });

  it('answers two DELETEs of one photo at once with one 200 and one 404, and photo.deleted once per room', async () => {
    const owner = await connectAs(a, 'frank');
    const photoId = await createPhoto(a, 'frank');
    expect(await owner.ask('subscribe:photo', { photoId })).toEqual({
      ok: true,
    });
    const stranger = await fetch(b.url(`/photos/${photoId}`), {
      method: 'DELETE',
      headers: bearer('mallory'),
    });
    expect(stranger.status).toBe(404);
    const statuses = await Promise.all(
      [a, b, a, b].map(demo =>
        fetch(demo.url(`/photos/${photoId}`), {
          method: 'DELETE',
          headers: bearer('frank'),
        }).then(r => r.status),
      ),
    );
    expect(statuses.sort()).toEqual([200, 404, 404, 404]);
    // A marker after them: room events reach a socket in the order they were published.
    await connectAs(b, 'zed');
    const marker = await owner.ask('message:send', {
      chatId: 'dm:frank:zed',
      content: 'marker',
    });
    expect(marker).toMatchObject({ ok: true });
    await waitUntil(
      () => owner.named('message:new').length === 1,
      10_000,
      'marker',
    );
    await waitUntil(
      () => owner.named('photo.deleted').length >= 2,
      10_000,
      'photo.deleted',
    );
    expect(
      owner
        .named('photo.deleted')
        .map(e => e.room)
        .sort(),
    ).toEqual([`photo:${photoId}`, 'user:frank']);
  });

  it("deletes a photo's comment thread with the photo, and refuses a second spelling of its id", async () => {
    const owner = await connectAs(b, 'gina');
    const photoId = await createPhoto(b, 'gina');
    const chatId = `photo:${photoId}`;
    expect(
      await owner.ask('message:send', { chatId, content: 'a private note' }),
    ).toMatchObject({ ok: true });
    // Upper case would be a second thread of the same photo, which its deletion would miss.
    expect(
      await owner.ask('message:send', {
        chatId: chatId.toUpperCase().replace('PHOTO:', 'photo:'),
        content: 'x',
      }),
    ).toMatchObject({ ok: false, code: 'invalid' });
    expect(
      await reader.keys(`demo:chat:{${chatId}}*`).then(k => k.length),
    ).toBeGreaterThan(0);
    const deleted = await fetch(a.url(`/photos/${photoId}`), {
      method: 'DELETE',
      headers: bearer('gina'),
    });
    expect(deleted.status).toBe(200);
    await waitUntil(
      async () => (await reader.keys(`demo:chat:{${chatId}}*`)).length === 0,
      10_000,
      'the thread removed',
    );
    expect(await reader.zcard('demo:chat:user:{gina}:chats')).toBe(0);
  });

  it("delivers a user's chats live although strangers started more chats with them than a socket joins (20)", async () => {
    // Signed in once: first messages go only to users the demo has seen.
    (await connectAs(b, 'victim')).close();
    const friend = await connectAs(a, 'friend');
    expect(
      await friend.ask('message:send', {
        chatId: 'dm:friend:victim',
        content: 'hello',
      }),
    ).toMatchObject({ ok: true });
    for (let i = 0; i < 21; i++) {
      const spammer = await connectAs(b, `spam${String(i).padStart(2, '0')}`);
      expect(
        await spammer.ask('message:send', {
          chatId: `dm:spam${String(i).padStart(2, '0')}:victim`,
          content: 'spam',
        }),
      ).toMatchObject({ ok: true });
      spammer.close();
    }
    const victim = await connectAs(b, 'victim');
    // An older chat of theirs, and a new one, while the socket holds 20 spam chats.
    expect(
      await friend.ask('message:send', {
        chatId: 'dm:friend:victim',
        content: 'are you there?',
      }),
    ).toMatchObject({ ok: true });
    const newFriend = await connectAs(a, 'amigo');
    expect(
      await newFriend.ask('message:send', {
        chatId: 'dm:amigo:victim',
        content: 'new here',
      }),
    ).toMatchObject({ ok: true });
    await waitUntil(
      () => victim.named('message:new').length === 2,
      10_000,
      'both messages live',
    );
    expect(victim.named('message:new').map(e => e.data.content)).toEqual([
      'are you there?',
      'new here',
    ]);
  });

  it("keeps a user's presence from strangers who open a chat with them or write to them, until the user writes back", async () => {
    const bob = await connectAs(b, 'bobby');
    const pal = await connectAs(a, 'pal');
    const stalker = await connectAs(a, 'stalker');
    const palChat = 'dm:bobby:pal';
    const stalkerChat = 'dm:bobby:stalker';
    // A contact: pal wrote, bobby answered.
    await pal.ask('message:send', { chatId: palChat, content: 'hi' });
    await bob.ask('message:send', { chatId: palChat, content: 'hi pal' });
    // The stranger opens a chat and writes: no presence of bobby's in any answer.
    expect(await stalker.ask('chat:open', { userId: 'bobby' })).toEqual({
      ok: true,
      chat: expect.objectContaining({
        chatId: stalkerChat,
        peer: { userId: 'bobby' },
      }),
    });
    expect(
      await stalker.ask('message:send', {
        chatId: stalkerChat,
        content: 'hey',
      }),
    ).toMatchObject({ ok: true });
    expect((await stalker.ask('chat:list')).chats).toEqual([
      expect.objectContaining({
        chatId: stalkerChat,
        peer: { userId: 'bobby' },
      }),
    ]);
    const listed = (await stalker.ask('users:list')).users;
    expect(listed).toContainEqual({ userId: 'bobby' });
    expect(listed).toContainEqual(expect.objectContaining({ userId: 'pal' }));
    expect(listed.find((u: { userId: string }) => u.userId === 'pal')).toEqual({
      userId: 'pal',
    });
    // The contact has it; bobby has the stalker's (who wrote to him).
    expect((await pal.ask('chat:list')).chats[0].peer).toEqual({
      userId: 'bobby',
      online: true,
    });
    expect(
      (await bob.ask('chat:list')).chats.find(
        (c: { chatId: string }) => c.chatId === stalkerChat,
      ).peer,
    ).toEqual({ userId: 'stalker', online: true });

    // bobby goes: pal hears it; the stalker, on the same instance, from the same emit, does not.
    bob.close();
    await waitUntil(
      () => pal.named('user:status').some(s => s.userId === 'bobby'),
      10_000,
      "pal told bobby's offline",
    );
    expect(stalker.named('user:status')).toEqual([]);

    // Once bobby writes back, the stalker is a contact: his presence reaches them.
    const back = await connectAs(b, 'bobby');
    expect(
      await back.ask('message:send', { chatId: stalkerChat, content: 'who?' }),
    ).toMatchObject({ ok: true });
    expect(
      (await stalker.ask('chat:open', { userId: 'bobby' })).chat.peer,
    ).toEqual({ userId: 'bobby', online: true });
    back.close();
    await waitUntil(
      () =>
        stalker
          .named('user:status')
          .some(s => s.userId === 'bobby' && s.status === 'offline'),
      10_000,
      "the stalker told bobby's offline after bobby wrote",
    );
  });

  it('stores nothing for chat:open, refuses first messages to users never seen, and caps the chats one user starts a day', async () => {
    const prober = await connectAs(a, 'prober');
    const forbidden = { ok: false, code: 'forbidden' };
    for (let i = 0; i < 5; i++) {
      expect(
        await prober.ask('chat:open', { userId: `ghost${i}` }),
      ).toMatchObject(forbidden);
      expect(
        await prober.ask('message:send', {
          chatId: `dm:ghost${i}:prober`,
          content: 'boo',
        }),
      ).toMatchObject(forbidden);
    }
    expect(await reader.keys('demo:chat:*ghost*')).toEqual([]);
    const known = ['known1', 'known2', 'known3', 'known4'];
    for (const userId of known) (await connectAs(b, userId)).close();
    // Opening a chat with someone real creates nothing either.
    for (const userId of known)
      expect(await prober.ask('chat:open', { userId })).toMatchObject({
        ok: true,
        chat: { chatId: `dm:${userId}:prober`, unread: 0 },
      });
    expect(await reader.keys('demo:chat:*prober*')).toEqual([]);
    // CHAT_NEW_CHATS_PER_DAY is 3 here: the fourth first message is refused, the chats it has stay open.
    for (const userId of known.slice(0, 3))
      expect(
        await prober.ask('message:send', {
          chatId: `dm:${userId}:prober`,
          content: 'hello',
        }),
      ).toMatchObject({ ok: true });
    expect(
      await prober.ask('message:send', {
        chatId: 'dm:known4:prober',
        content: 'hello',
      }),
    ).toMatchObject({ ok: false, code: 'rate_limited' });
    expect(
      await prober.ask('message:send', {
        chatId: 'dm:known1:prober',
        content: 'again',
      }),
    ).toMatchObject({ ok: true });
    expect(await reader.keys('demo:chat:{dm:known4:prober}*')).toEqual([]);
    expect(await reader.zcard('demo:chat:user:{prober}:chats')).toBe(3);
  });
});
