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

  it("delivers a user's chats live although strangers opened more chats with them than a socket joins (20)", async () => {
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
        await spammer.ask('chat:open', { userId: 'victim' }),
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

  it.todo(
    "user:status and presence reach strangers: chat:open { userId } (no message, no consent) answers the peer's online/lastSeen and puts the stranger's sockets in a shared chat room, so the stranger then gets every user:status change of that user live (verified: a stalker saw bob go offline). The README's reason for user:status to chat partners only ('presence is for one's contacts') does not hold while anyone can open a chat with anyone: presence should count only chats the user took part in (sent a message, or opened themselves)",
  );

  it.todo(
    'chat:open / message:send with made-up user ids create Redis keys for users that never existed, forever (one token, no limit but the rate limit: 50 chat:open with ghost ids made 50 new demo:chat:user:{ghost}:chats keys; a message:send to dm:me:ghost adds the chat hashes too): direct chats could be refused with users the gateway never saw (no lastSeen, not online), or the keys given a TTL renewed on activity',
  );
});
