import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
} from '@jest/globals';
import {
  MAX_JOINED_CHATS,
  MAX_MESSAGES_PER_CHAT,
  type ChatStore,
} from '../src/chat/chat.store.js';
import { MemoryChatStore } from '../src/chat/memory-chat.store.js';
import { RedisChatStore } from '../src/chat/redis-chat.store.js';
import { RedisServer } from './setup/redis-server.js';

/**
 * The demo chat's two stores keep the same contract: a bounded history per
 * chat numbered without gaps, a retried send stored once, atomic changes to
 * one message, read receipts that only move on, recency lists.
 */
describe.each(['memory', 'redis'] as const)('chat store (%s)', kind => {
  let redis: RedisServer | undefined;
  let store: ChatStore;
  let chat = 0;
  /** A chat of its own per test: the Redis store is shared across them. */
  let chatId: string;

  beforeAll(async () => {
    if (kind === 'memory') {
      store = new MemoryChatStore();
      return;
    }
    redis = await RedisServer.start();
    const redisStore = new RedisChatStore(redis.url);
    await redisStore.connect();
    store = redisStore;
  });

  afterAll(async () => {
    if (store instanceof RedisChatStore) await store.close();
    await redis?.stop();
  });

  beforeEach(() => {
    chat++;
    chatId = `dm:u${chat}:v${chat}`;
  });

  const draft = (content: string, clientMessageId?: string) => ({
    chatId,
    senderId: `u${chat}`,
    content,
    createdAt: new Date().toISOString(),
    ...(clientMessageId ? { clientMessageId } : {}),
  });

  it(`keeps the last ${MAX_MESSAGES_PER_CHAT} messages of a chat, in pages`, async () => {
    for (let i = 1; i <= MAX_MESSAGES_PER_CHAT + 3; i++)
      await store.append(draft(`m${i}`));
    const latest = await store.page(chatId, undefined, 10);
    expect(latest.messages.map(m => m.seq)).toEqual([
      494, 495, 496, 497, 498, 499, 500, 501, 502, 503,
    ]);
    expect(latest.messages[0]!.id).toBe(`${chatId}#494`);
    expect(latest.hasMore).toBe(true);
    const oldest = await store.page(chatId, 10, 100);
    expect(oldest.messages.map(m => m.seq)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(oldest.hasMore).toBe(false);
    expect(await store.get(chatId, 3)).toBeUndefined();
    expect((await store.after(chatId, 500)).map(m => m.content)).toEqual([
      'm501',
      'm502',
      'm503',
    ]);
    expect(await store.after(chatId, 0)).toHaveLength(MAX_MESSAGES_PER_CHAT);
  });

  it('stores a retried send once', async () => {
    const first = await store.append(draft('hi', 'c-1'));
    const again = await store.append(draft('hi', 'c-1'));
    const other = await store.append(draft('hi', 'c-2'));
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ message: first.message, duplicate: true });
    expect(other.message.seq).toBe(2);
  });

  it('changes a message atomically, and not a missing one', async () => {
    const { message } = await store.append(draft('typo'));
    await Promise.all(
      ['👍', '🎉', '❤️'].map(emoji =>
        store.update(chatId, message.seq, current => ({
          ...current,
          reactions: { ...current.reactions, [emoji]: ['v'] },
        })),
      ),
    );
    const changed = await store.update(chatId, message.seq, current => ({
      ...current,
      content: 'fixed',
    }));
    expect(changed).toMatchObject({ content: 'fixed', id: message.id });
    expect(Object.keys(changed!.reactions).sort()).toEqual(
      ['👍', '🎉', '❤️'].sort(),
    );
    expect(await store.get(chatId, message.seq)).toEqual(changed);
    expect(await store.update(chatId, 99, m => m)).toBeUndefined();
  });

  it('moves a read receipt on, never back', async () => {
    const receipt = (seq: number) => ({
      chatId,
      userId: 'v',
      messageId: `${chatId}#${seq}`,
      seq,
      readAt: new Date(seq * 1000).toISOString(),
    });
    expect(await store.markRead(receipt(5))).toEqual(receipt(5));
    expect(await store.markRead(receipt(3))).toEqual(receipt(5));
    expect(await store.markRead(receipt(7))).toEqual(receipt(7));
    expect(await store.reads(chatId)).toEqual([receipt(7)]);
  });

  it(`tells which chat a chat coming into a user's first ${MAX_JOINED_CHATS} pushed out of them`, async () => {
    const user = `j${chat}`;
    const id = (i: number) => `dm:j:k${String(i).padStart(2, '0')}`;
    for (let i = 0; i <= MAX_JOINED_CHATS; i++)
      await store.addChat(user, id(i), i + 1);
    // id(0) is 21st now: back to the top, it pushes out what became 21st (id(1)).
    expect(await store.addChat(user, id(0), 100)).toEqual({
      added: false,
      entered: true,
      displaced: id(1),
    });
    expect(await store.addChat(user, 'dm:j:new', 101)).toEqual({
      added: true,
      entered: true,
      displaced: id(2),
    });
    expect(await store.addChat(user, id(5), 102)).toEqual({
      added: false,
      entered: false,
    });
  });

  it('forgets a removed chat: messages, receipts, and its place in the lists', async () => {
    const { message } = await store.append(draft('gone soon'));
    await store.markRead({
      chatId,
      userId: `v${chat}`,
      messageId: message.id,
      seq: message.seq,
      readAt: new Date().toISOString(),
    });
    await store.addChat(`u${chat}`, chatId, 1);
    await store.removeChat(chatId, [`u${chat}`]);
    expect(await store.get(chatId, message.seq)).toBeUndefined();
    expect(await store.page(chatId, undefined, 10)).toEqual({
      messages: [],
      hasMore: false,
    });
    expect(await store.reads(chatId)).toEqual([]);
    expect(await store.senders(chatId)).toEqual([]);
    expect(await store.chats(`u${chat}`, 10)).toEqual([]);
  });

  it('knows who sent in a chat (a retried send adds no one), who signed in, and counts the chats a user starts per day', async () => {
    expect(await store.senders(chatId)).toEqual([]);
    await store.append(draft('one', 'c1'));
    await store.append(draft('one', 'c1'));
    expect(await store.senders(chatId)).toEqual([`u${chat}`]);
    await store.append({ ...draft('two'), senderId: `v${chat}` });
    expect((await store.senders(chatId)).sort()).toEqual([
      `u${chat}`,
      `v${chat}`,
    ]);
    expect(await store.knowsUser(`k${chat}`)).toBe(false);
    await store.touchUser(`k${chat}`, Date.now());
    expect(await store.knowsUser(`k${chat}`)).toBe(true);
    expect(await store.countNewChat(`k${chat}`, '2026-01-01')).toBe(1);
    expect(await store.countNewChat(`k${chat}`, '2026-01-01')).toBe(2);
    expect(await store.countNewChat(`k${chat}`, '2026-01-02')).toBe(1);
  });

  it("lists a user's chats and the directory, most recent first", async () => {
    const user = `w${chat}`;
    expect(await store.addChat(user, 'dm:a:b', 1)).toEqual({
      added: true,
      entered: true,
    });
    expect(await store.addChat(user, 'dm:a:c', 2)).toMatchObject({
      added: true,
    });
    expect(await store.addChat(user, 'dm:a:b', 3)).toEqual({
      added: false,
      entered: false,
    });
    expect(await store.chats(user, 10)).toEqual(['dm:a:b', 'dm:a:c']);
    await store.touchUser(`x${chat}`, Date.now());
    await store.touchUser(`y${chat}`, Date.now() + 1);
    expect((await store.users(2)).slice(0, 2)).toEqual([
      `y${chat}`,
      `x${chat}`,
    ]);
  });
});
