import type { ChatKind } from './chat-ids.js';

/** One message of a chat, as stored and as sockets get it. */
export interface ChatMessage {
  /** `{chatId}#{seq}`: names its chat. */
  id: string;
  chatId: string;
  /** 1, 2, 3… per chat: the order of the chat. */
  seq: number;
  senderId: string;
  /** Empty once deleted. */
  content: string;
  /** The sender's own id for the message, echoed back (a retried send is stored once). */
  clientMessageId?: string;
  createdAt: string;
  editedAt?: string;
  deleted: boolean;
  deletedAt?: string;
  /** emoji → the users who reacted with it, in the order they did. */
  reactions: Record<string, string[]>;
}

/** How far a user has read a chat. */
export interface ReadReceipt {
  chatId: string;
  userId: string;
  messageId: string;
  seq: number;
  readAt: string;
}

/** `message:reaction`: a reaction toggled. */
export interface ReactionChange {
  chatId: string;
  messageId: string;
  emoji: string;
  userId: string;
  /** True when the user added it, false when they took it back. */
  added: boolean;
  reactions: Record<string, string[]>;
}

/** `user:status`: a user who wrote in a direct chat with the receiver came or went. */
export interface UserStatus {
  userId: string;
  status: 'online' | 'offline';
  /** When the user's last session ended (offline only). */
  lastSeen?: string;
}

/** `typing:start` / `typing:stop`. */
export interface TypingNotice {
  chatId: string;
  userId: string;
}

/** One entry of `chat:list`. */
export interface ChatSummary {
  chatId: string;
  kind: ChatKind;
  members: string[];
  lastMessage?: ChatMessage;
  /** Messages of the others after the user's read receipt, deleted ones left out. */
  unread: number;
  /** The other member of a direct chat; their presence once they have sent a message in it. */
  peer?: { userId: string; online?: boolean; lastSeen?: string };
}

/** A page of `chat:history`: oldest first. */
export interface ChatHistoryPage {
  chatId: string;
  messages: ChatMessage[];
  /** Older messages are kept: ask again with `before` = the first one's id. */
  hasMore: boolean;
  /** Every member's read receipt. */
  reads: ReadReceipt[];
}
