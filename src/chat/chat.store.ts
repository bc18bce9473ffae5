import type { ChatMessage, ReadReceipt } from './chat.interfaces.js';

/** Injection token of the chat store (Redis with REDIS_URL, memory without). */
export const CHAT_STORE = 'demo:chat-store';

/** Messages kept per chat: older ones are dropped as new ones come. */
export const MAX_MESSAGES_PER_CHAT = 500;
/** Chats kept per user (the most recently active); a user's sockets join these on connect. */
export const MAX_CHATS_PER_USER = 200;
/** Users the demo's directory remembers (the most recently connected). */
export const MAX_DIRECTORY_USERS = 500;
/** Chats a socket is in (the user's most recently active): rooms per socket are limited (50). */
export const MAX_JOINED_CHATS = 20;
/** How long a user's count of the chats they started on a day is kept (seconds). */
export const NEW_CHATS_COUNT_TTL_S = 2 * 24 * 60 * 60;
/** How long a sender's `clientMessageId` is remembered, so that a retried send is stored once. */
export const CLIENT_MESSAGE_ID_TTL_S = 24 * 60 * 60;

/** A message before it is stored: the store gives it its `seq` and `id`. */
export type MessageDraft = Pick<
  ChatMessage,
  'chatId' | 'senderId' | 'content' | 'clientMessageId' | 'createdAt'
>;

/** What moving a chat up in a user's list changed (see `ChatStore.addChat`). */
export interface ChatListChange {
  /** The chat was not in the list. */
  added: boolean;
  /** It was not among the first `MAX_JOINED_CHATS` and now is (always so when added). */
  entered: boolean;
  /** The chat that it pushed out of the first `MAX_JOINED_CHATS`, if one was. */
  displaced?: string;
}

/**
 * Where chats live. Each chat keeps its last `MAX_MESSAGES_PER_CHAT` messages,
 * numbered 1, 2, 3… (`seq`), so that the kept ones are a contiguous range.
 * Changes to one message are atomic (compare and set), so an edit and a
 * reaction on two instances do not undo each other.
 */
export interface ChatStore {
  /**
   * Stores a new message, and its sender among the chat's `senders`. With a
   * `clientMessageId` the sender used before (within a day), returns that
   * message instead, `duplicate: true`.
   */
  append(
    draft: MessageDraft,
  ): Promise<{ message: ChatMessage; duplicate: boolean }>;
  /** One message, if it is still kept. */
  get(chatId: string, seq: number): Promise<ChatMessage | undefined>;
  /**
   * Changes one message atomically: `change` gets the current message (it may
   * run more than once if another instance changed it meanwhile, and may throw
   * to refuse). Undefined when the message is not kept.
   */
  update(
    chatId: string,
    seq: number,
    change: (message: ChatMessage) => ChatMessage,
  ): Promise<ChatMessage | undefined>;
  /** Up to `limit` messages before `beforeSeq` (or the latest), oldest first. */
  page(
    chatId: string,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<{ messages: ChatMessage[]; hasMore: boolean }>;
  /** The messages after `seq`, oldest first (at most the kept ones). */
  after(chatId: string, seq: number): Promise<ChatMessage[]>;
  /** Records a read receipt unless the user has read further already; returns the one kept. */
  markRead(receipt: ReadReceipt): Promise<ReadReceipt>;
  /** Every member's read receipt of a chat. */
  reads(chatId: string): Promise<ReadReceipt[]>;
  /**
   * Adds (or moves up) a chat in a user's list, and tells whether that moved
   * it into the first `MAX_JOINED_CHATS` (the chats the user's sockets are in)
   * and which one it pushed out of them.
   */
  addChat(userId: string, chatId: string, at: number): Promise<ChatListChange>;
  /** Forgets a chat: its messages, read receipts, and its place in these users' lists. */
  removeChat(chatId: string, userIds: string[]): Promise<void>;
  /** A user's chats, most recently active first. */
  chats(userId: string, limit: number): Promise<string[]>;
  /** The users who have sent a message in the chat (kept with it). */
  senders(chatId: string): Promise<string[]>;
  /**
   * Counts one more direct chat started by `userId` on `day` (UTC, kept two
   * days); resolves the day's count after it.
   */
  countNewChat(userId: string, day: string): Promise<number>;
  /** Whether the user is in the demo's directory (connected at least once, among the last `MAX_DIRECTORY_USERS`). */
  knowsUser(userId: string): Promise<boolean>;
  /** Records that a user connected (the demo's directory). */
  touchUser(userId: string, at: number): Promise<void>;
  /** The users who connected most recently, newest first. */
  users(limit: number): Promise<string[]>;
}
