import { messageId } from './chat-ids.js';
import type { ChatMessage, ReadReceipt } from './chat.interfaces.js';
import {
  CLIENT_MESSAGE_ID_TTL_S,
  MAX_CHATS_PER_USER,
  MAX_DIRECTORY_USERS,
  MAX_JOINED_CHATS,
  MAX_MESSAGES_PER_CHAT,
  type ChatListChange,
  type ChatStore,
  type MessageDraft,
} from './chat.store.js';

interface MemoryChat {
  last: number;
  messages: Map<number, ChatMessage>;
  reads: Map<string, ReadReceipt>;
  senders: Set<string>;
  /** `{senderId}:{clientMessageId}` → seq and when it expires. */
  clientIds: Map<string, { seq: number; expires: number }>;
}

/** Moves `key` to the front of a recency list kept as an insertion-ordered Map. */
function touch(
  list: Map<string, number>,
  key: string,
  at: number,
  max: number,
) {
  const known = list.has(key);
  list.delete(key);
  list.set(key, at);
  if (list.size > max) list.delete(list.keys().next().value!);
  return !known;
}

const newestFirst = (list: Map<string, number>, limit: number): string[] =>
  [...list.keys()].reverse().slice(0, limit);

/** The chat store of one instance without Redis (the memory transport): gone with the process. */
export class MemoryChatStore implements ChatStore {
  private readonly chatsById = new Map<string, MemoryChat>();
  private readonly userChats = new Map<string, Map<string, number>>();
  private readonly directory = new Map<string, number>();
  /** userId → the day (UTC) and the chats they started on it. */
  private readonly newChats = new Map<string, { day: string; count: number }>();

  async append(
    draft: MessageDraft,
  ): Promise<{ message: ChatMessage; duplicate: boolean }> {
    const chat = this.chat(draft.chatId);
    const clientKey = draft.clientMessageId
      ? `${draft.senderId}:${draft.clientMessageId}`
      : undefined;
    const seen = clientKey ? chat.clientIds.get(clientKey) : undefined;
    const earlier =
      seen && seen.expires > Date.now() && chat.messages.get(seen.seq);
    if (earlier) return { message: structuredClone(earlier), duplicate: true };
    chat.senders.add(draft.senderId);
    const seq = ++chat.last;
    const message: ChatMessage = {
      ...draft,
      id: messageId(draft.chatId, seq),
      seq,
      deleted: false,
      reactions: {},
    };
    if (!message.clientMessageId) delete message.clientMessageId;
    chat.messages.set(seq, message);
    chat.messages.delete(seq - MAX_MESSAGES_PER_CHAT);
    if (clientKey) {
      chat.clientIds.set(clientKey, {
        seq,
        expires: Date.now() + CLIENT_MESSAGE_ID_TTL_S * 1000,
      });
      if (chat.clientIds.size > MAX_MESSAGES_PER_CHAT)
        chat.clientIds.delete(chat.clientIds.keys().next().value!);
    }
    return { message: structuredClone(message), duplicate: false };
  }

  async get(chatId: string, seq: number): Promise<ChatMessage | undefined> {
    const message = this.chatsById.get(chatId)?.messages.get(seq);
    return message && structuredClone(message);
  }

  async update(
    chatId: string,
    seq: number,
    change: (message: ChatMessage) => ChatMessage,
  ): Promise<ChatMessage | undefined> {
    const chat = this.chatsById.get(chatId);
    const current = chat?.messages.get(seq);
    if (!chat || !current) return undefined;
    const next = change(structuredClone(current));
    chat.messages.set(seq, next);
    return structuredClone(next);
  }

  async page(
    chatId: string,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    const chat = this.chatsById.get(chatId);
    if (!chat) return { messages: [], hasMore: false };
    const first = Math.max(1, chat.last - MAX_MESSAGES_PER_CHAT + 1);
    const end = Math.min(beforeSeq ?? chat.last + 1, chat.last + 1);
    const start = Math.max(first, end - limit);
    const messages: ChatMessage[] = [];
    for (let seq = start; seq < end; seq++) {
      const message = chat.messages.get(seq);
      if (message) messages.push(structuredClone(message));
    }
    return { messages, hasMore: start > first };
  }

  async after(chatId: string, seq: number): Promise<ChatMessage[]> {
    const chat = this.chatsById.get(chatId);
    if (!chat) return [];
    return [...chat.messages.values()]
      .filter(message => message.seq > seq)
      .sort((a, b) => a.seq - b.seq)
      .map(message => structuredClone(message));
  }

  async markRead(receipt: ReadReceipt): Promise<ReadReceipt> {
    const reads = this.chat(receipt.chatId).reads;
    const current = reads.get(receipt.userId);
    if (current && current.seq >= receipt.seq) return { ...current };
    reads.set(receipt.userId, { ...receipt });
    return { ...receipt };
  }

  async reads(chatId: string): Promise<ReadReceipt[]> {
    return [...(this.chatsById.get(chatId)?.reads.values() ?? [])].map(r => ({
      ...r,
    }));
  }

  async addChat(
    userId: string,
    chatId: string,
    at: number,
  ): Promise<ChatListChange> {
    let chats = this.userChats.get(userId);
    if (!chats) this.userChats.set(userId, (chats = new Map()));
    const rank = [...chats.keys()].reverse().indexOf(chatId);
    const added = touch(chats, chatId, at, MAX_CHATS_PER_USER);
    if (rank !== -1 && rank < MAX_JOINED_CHATS)
      return { added, entered: false };
    const displaced = newestFirst(chats, MAX_JOINED_CHATS + 1)[
      MAX_JOINED_CHATS
    ];
    return { added, entered: true, ...(displaced ? { displaced } : {}) };
  }

  async removeChat(chatId: string, userIds: string[]): Promise<void> {
    this.chatsById.delete(chatId);
    for (const userId of userIds) this.userChats.get(userId)?.delete(chatId);
  }

  async chats(userId: string, limit: number): Promise<string[]> {
    const chats = this.userChats.get(userId);
    return chats ? newestFirst(chats, limit) : [];
  }

  async senders(chatId: string): Promise<string[]> {
    return [...(this.chatsById.get(chatId)?.senders ?? [])];
  }

  async countNewChat(userId: string, day: string): Promise<number> {
    const current = this.newChats.get(userId);
    const count = current?.day === day ? current.count + 1 : 1;
    this.newChats.set(userId, { day, count });
    return count;
  }

  async knowsUser(userId: string): Promise<boolean> {
    return this.directory.has(userId);
  }

  async touchUser(userId: string, at: number): Promise<void> {
    touch(this.directory, userId, at, MAX_DIRECTORY_USERS);
  }

  async users(limit: number): Promise<string[]> {
    return newestFirst(this.directory, limit);
  }

  private chat(chatId: string): MemoryChat {
    let chat = this.chatsById.get(chatId);
    if (!chat)
      this.chatsById.set(
        chatId,
        (chat = {
          last: 0,
          messages: new Map(),
          reads: new Map(),
          clientIds: new Map(),
          senders: new Set(),
        }),
      );
    return chat;
  }
}
