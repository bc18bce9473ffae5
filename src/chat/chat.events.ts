import type {
  ChatMessage,
  ReactionChange,
  ReadReceipt,
} from './chat.interfaces.js';

/**
 * The chat's bus events (published to the chat's room) and the socket event
 * names seed 002 gives them: bus types are dotted, so the gateway renames them
 * on the way to the sockets (`socketEventNames`), live and replayed alike.
 */
export const CHAT_SOCKET_EVENTS = {
  'chat.message.new': 'message:new',
  'chat.message.edited': 'message:edited',
  'chat.message.deleted': 'message:deleted',
  'chat.message.reaction': 'message:reaction',
  'chat.message.read': 'message:read',
} as const;

/** What socket clients send (seed 002's names, plus `chat:open` and `users:list`). */
export const CHAT_MESSAGES = {
  send: 'message:send',
  edit: 'message:edit',
  delete: 'message:delete',
  react: 'message:react',
  read: 'message:read',
  readAll: 'chat:read-all',
  history: 'chat:history',
  list: 'chat:list',
  open: 'chat:open',
  typingStart: 'typing:start',
  typingStop: 'typing:stop',
  users: 'users:list',
} as const;

/** Socket events emitted directly (ephemeral: no room history). */
export const CHAT_DIRECT_EVENTS = {
  typingStart: 'typing:start',
  typingStop: 'typing:stop',
  userStatus: 'user:status',
} as const;

/** The chat's bus events, typed. */
export interface ChatEvents {
  'chat.message.new': ChatMessage;
  'chat.message.edited': ChatMessage;
  'chat.message.deleted': ChatMessage;
  'chat.message.reaction': ReactionChange;
  'chat.message.read': Omit<ReadReceipt, 'seq'>;
}

declare module '@shared-infra/event-bus' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface EventMap extends ChatEvents {}
}
