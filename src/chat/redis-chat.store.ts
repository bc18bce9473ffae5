import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { messageId } from './chat-ids.js';
import type { ChatMessage, ReadReceipt } from './chat.interfaces.js';
import {
  CLIENT_MESSAGE_ID_TTL_S,
  MAX_CHATS_PER_USER,
  MAX_DIRECTORY_USERS,
  MAX_JOINED_CHATS,
  MAX_MESSAGES_PER_CHAT,
  NEW_CHATS_COUNT_TTL_S,
  type ChatListChange,
  type ChatStore,
  type MessageDraft,
} from './chat.store.js';

/** Key prefix of the demo's chats, apart from the bus' own keys. */
const PREFIX = 'demo:chat:';
/** Tries of a compare-and-set before giving up (other instances kept changing the value). */
const CAS_TRIES = 10;

/**
 * Numbers and stores a message in one step: a `clientMessageId` seen within
 * the day returns the message it named; the message `seq - max` is dropped, so
 * the kept ones stay the contiguous range of the last `max`.
 * The sender joins the chat's senders.
 * KEYS: seq counter, messages hash, client id key, senders set. ARGV: message JSON, max, ttl ('' without a client id), sender.
 */
const APPEND = `
if ARGV[3] ~= '' then
  local seen = redis.call('GET', KEYS[3])
  if seen then
    local earlier = redis.call('HGET', KEYS[2], seen)
    if earlier then return {tonumber(seen), earlier, 1} end
  end
end
redis.call('SADD', KEYS[4], ARGV[4])
local seq = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], seq, ARGV[1])
local old = seq - tonumber(ARGV[2])
if old >= 1 then redis.call('HDEL', KEYS[2], old) end
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], seq, 'EX', ARGV[3]) end
return {seq, ARGV[1], 0}
`;

/** Sets a hash field only if it still holds what was read. KEYS: hash. ARGV: field, expected ('' for none), new. */
const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

/** Puts a member first in a recency list and trims it. KEYS: sorted set. ARGV: member, score, max. */
const TOUCH = `
local added = redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
return added
`;

/**
 * TOUCH for a user's chats, telling what it changed in the first `window`:
 * the chat's rank before (-1: not listed) and the chat pushed out to rank
 * `window` ('' for none) when it came in from outside them.
 * KEYS: sorted set. ARGV: member, score, max, window.
 */
const TOUCH_CHAT = `
local before = redis.call('ZREVRANK', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
local window = tonumber(ARGV[4])
if before and before < window then return {before, ''} end
local out = redis.call('ZREVRANGE', KEYS[1], window, window)
return {before or -1, out[1] or ''}
`;

type StoredMessage = Omit<ChatMessage, 'id' | 'seq'>;

interface ChatCommands {
  chatAppend(
    seqKey: string,
    messagesKey: string,
    clientKey: string,
    sendersKey: string,
    json: string,
    max: number,
    ttl: string,
    sender: string,
  ): Promise<[number, string, number]>;
  chatCas(
    key: string,
    field: string,
    expected: string,
    next: string,
  ): Promise<number>;
  chatTouchChat(
    key: string,
    member: string,
    score: number,
    max: number,
    window: number,
  ): Promise<[number, string]>;
  chatTouch(
    key: string,
    member: string,
    score: number,
    max: number,
  ): Promise<number>;
}

/**
 * Chats in Redis, so that they survive a restart and every instance sees the
 * same ones. One hash per chat (`seq` → message, without its id and seq,
 * which the field gives), one of read receipts, and a sorted set of chats
 * per user. Keys carry the chat id in braces: a chat's keys share a Cluster
 * slot, so its scripts run there.
 */
export class RedisChatStore implements ChatStore {
  private readonly logger = new Logger('ChatStore');
  private readonly redis: Redis & ChatCommands;
  private lastError = 0;

  constructor(url: string) {
    const redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 3,
      connectionName: 'demo-chat',
    });
    redis.defineCommand('chatAppend', { numberOfKeys: 4, lua: APPEND });
    redis.defineCommand('chatCas', { numberOfKeys: 1, lua: COMPARE_AND_SET });
    redis.defineCommand('chatTouch', { numberOfKeys: 1, lua: TOUCH });
    redis.defineCommand('chatTouchChat', { numberOfKeys: 1, lua: TOUCH_CHAT });
    // ioredis reconnects by itself; without a listener an error would be thrown as unhandled.
    redis.on('error', (error: Error) => {
      // One line per outage rather than one per reconnect attempt.
      if (Date.now() - this.lastError < 10_000) return;
      this.lastError = Date.now();
      this.logger.warn(`Chat store Redis: ${error.message}`);
    });
    this.redis = redis as Redis & ChatCommands;
  }

  async connect(): Promise<void> {
    await this.redis.connect();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  async append(
    draft: MessageDraft,
  ): Promise<{ message: ChatMessage; duplicate: boolean }> {
    const stored: StoredMessage = { ...draft, deleted: false, reactions: {} };
    if (!stored.clientMessageId) delete stored.clientMessageId;
    const clientKey = draft.clientMessageId
      ? `${this.chatKey(draft.chatId)}:client:${draft.senderId}:${draft.clientMessageId}`
      : this.chatKey(draft.chatId);
    const [seq, json, duplicate] = await this.redis.chatAppend(
      `${this.chatKey(draft.chatId)}:seq`,
      this.messagesKey(draft.chatId),
      clientKey,
      this.sendersKey(draft.chatId),
      JSON.stringify(stored),
      MAX_MESSAGES_PER_CHAT,
      draft.clientMessageId ? String(CLIENT_MESSAGE_ID_TTL_S) : '',
      draft.senderId,
    );
    return {
      message: this.decode(draft.chatId, Number(seq), json)!,
      duplicate: duplicate === 1,
    };
  }

  async get(chatId: string, seq: number): Promise<ChatMessage | undefined> {
    const json = await this.redis.hget(this.messagesKey(chatId), String(seq));
    return this.decode(chatId, seq, json);
  }

  async update(
    chatId: string,
    seq: number,
    change: (message: ChatMessage) => ChatMessage,
  ): Promise<ChatMessage | undefined> {
    const key = this.messagesKey(chatId);
    for (let attempt = 0; attempt < CAS_TRIES; attempt++) {
      const json = await this.redis.hget(key, String(seq));
      const current = this.decode(chatId, seq, json);
      if (!current || json === null) return undefined;
      const next = change(current);
      const { id: _id, seq: _seq, ...stored } = next;
      if (
        await this.redis.chatCas(key, String(seq), json, JSON.stringify(stored))
      )
        return next;
    }
    throw new Error(
      `message ${messageId(chatId, seq)} kept changing; try again`,
    );
  }

  async page(
    chatId: string,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    const last = Number(
      (await this.redis.get(`${this.chatKey(chatId)}:seq`)) ?? 0,
    );
    const first = Math.max(1, last - MAX_MESSAGES_PER_CHAT + 1);
    const end = Math.min(beforeSeq ?? last + 1, last + 1);
    const start = Math.max(first, end - limit);
    return {
      messages: await this.range(chatId, start, end),
      hasMore: start > first,
    };
  }

  async after(chatId: string, seq: number): Promise<ChatMessage[]> {
    const last = Number(
      (await this.redis.get(`${this.chatKey(chatId)}:seq`)) ?? 0,
    );
    const start = Math.max(seq + 1, last - MAX_MESSAGES_PER_CHAT + 1, 1);
    return this.range(chatId, start, last + 1);
  }

  async markRead(receipt: ReadReceipt): Promise<ReadReceipt> {
    const key = this.readsKey(receipt.chatId);
    for (let attempt = 0; attempt < CAS_TRIES; attempt++) {
      const json = (await this.redis.hget(key, receipt.userId)) ?? '';
      const current = json ? (JSON.parse(json) as ReadReceipt) : undefined;
      if (current && current.seq >= receipt.seq) return current;
      if (
        await this.redis.chatCas(
          key,
          receipt.userId,
          json,
          JSON.stringify(receipt),
        )
      )
        return receipt;
    }
    throw new Error(
      `the read receipt of ${receipt.userId} kept changing; try again`,
    );
  }

  async reads(chatId: string): Promise<ReadReceipt[]> {
    const all = await this.redis.hgetall(this.readsKey(chatId));
    return Object.values(all).map(json => JSON.parse(json) as ReadReceipt);
  }

  async addChat(
    userId: string,
    chatId: string,
    at: number,
  ): Promise<ChatListChange> {
    const [before, displaced] = await this.redis.chatTouchChat(
      this.userChatsKey(userId),
      chatId,
      at,
      MAX_CHATS_PER_USER,
      MAX_JOINED_CHATS,
    );
    const rank = Number(before);
    if (rank !== -1 && rank < MAX_JOINED_CHATS)
      return { added: false, entered: false };
    return {
      added: rank === -1,
      entered: true,
      ...(displaced ? { displaced } : {}),
    };
  }

  async removeChat(chatId: string, userIds: string[]): Promise<void> {
    // A chat's keys share a slot (the braces); the users' lists are elsewhere.
    await this.redis.del(
      `${this.chatKey(chatId)}:seq`,
      this.messagesKey(chatId),
      this.readsKey(chatId),
      this.sendersKey(chatId),
    );
    await Promise.all(
      userIds.map(userId => this.redis.zrem(this.userChatsKey(userId), chatId)),
    );
  }

  chats(userId: string, limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.userChatsKey(userId), 0, limit - 1);
  }

  senders(chatId: string): Promise<string[]> {
    return this.redis.smembers(this.sendersKey(chatId));
  }

  async countNewChat(userId: string, day: string): Promise<number> {
    const key = `${PREFIX}user:{${userId}}:new:${day}`;
    const [[, count]] = (await this.redis
      .multi()
      .incr(key)
      .expire(key, NEW_CHATS_COUNT_TTL_S)
      .exec()) as [[null, number], [null, number]];
    return Number(count);
  }

  async knowsUser(userId: string): Promise<boolean> {
    return (await this.redis.zscore(`${PREFIX}users`, userId)) !== null;
  }

  async touchUser(userId: string, at: number): Promise<void> {
    await this.redis.chatTouch(
      `${PREFIX}users`,
      userId,
      at,
      MAX_DIRECTORY_USERS,
    );
  }

  users(limit: number): Promise<string[]> {
    return this.redis.zrevrange(`${PREFIX}users`, 0, limit - 1);
  }

  private async range(
    chatId: string,
    start: number,
    end: number,
  ): Promise<ChatMessage[]> {
    if (end <= start) return [];
    const seqs = Array.from({ length: end - start }, (_, i) => start + i);
    const values = await this.redis.hmget(
      this.messagesKey(chatId),
      ...seqs.map(String),
    );
    return values.flatMap(
      (json, i) => this.decode(chatId, seqs[i]!, json) ?? [],
    );
  }

  private decode(
    chatId: string,
    seq: number,
    json: string | null,
  ): ChatMessage | undefined {
    if (json === null) return undefined;
    const stored = JSON.parse(json) as StoredMessage;
    return { id: messageId(chatId, seq), seq, ...stored };
  }

  private chatKey(chatId: string): string {
    return `${PREFIX}{${chatId}}`;
  }

  private userChatsKey(userId: string): string {
    return `${PREFIX}user:{${userId}}:chats`;
  }

  private messagesKey(chatId: string): string {
    return `${this.chatKey(chatId)}:messages`;
  }

  private sendersKey(chatId: string): string {
    return `${this.chatKey(chatId)}:senders`;
  }

  private readsKey(chatId: string): string {
    return `${this.chatKey(chatId)}:reads`;
  }
}
