import { IDENTITY_ID_PATTERN } from '@shared-infra/event-bus';

/**
 * Chat ids, and who is in a chat, read from the id itself:
 * - `dm:{a}:{b}`: the direct messages of users `a` and `b` (sorted, distinct);
 *   only those two are members, whoever asks.
 * - `photo:{photoId}`: the comment thread of a photo; its members are whoever
 *   may see the photo, which in the demo is its owner (photos are private:
 *   `GET /photos/:id` answers 404 to anyone else).
 */
export type ChatKind = 'direct' | 'photo';

/** A chat's room: `chat:{chatId}` (seed 002's naming). */
export const chatRoom = (chatId: string): string => `chat:${chatId}`;

/** Room names are at most 128 characters (the gateway's limit), `chat:` included. */
export const MAX_CHAT_ID_LENGTH = 128 - 'chat:'.length;

/** Lower case only, as photo ids are made: `photo:ABC…` would be a second thread of the same photo. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a chat id names: a direct chat's two users, or a photo. */
export type ParsedChatId =
  | { kind: 'direct'; users: [string, string] }
  | { kind: 'photo'; photoId: string };

/** A chat id (for the DTOs): `dm:` and two user ids, or `photo:` and a lower-case UUID. */
export const CHAT_ID_PATTERN =
  /^(dm:[A-Za-z0-9_.@-]{1,100}:[A-Za-z0-9_.@-]{1,100}|photo:[0-9a-f-]{36})$/;

/** The id of the direct chat of two users, the same whichever of them asks. */
export function directChatId(a: string, b: string): string {
  const [first, second] = [a, b].sort();
  return `dm:${first}:${second}`;
}

/** The id of a photo's comment thread. */
export const photoChatId = (photoId: string): string => `photo:${photoId}`;

/** Parses a chat id; undefined when it is not one (unsorted or equal users, too long, …). */
export function parseChatId(chatId: string): ParsedChatId | undefined {
  if (chatId.length > MAX_CHAT_ID_LENGTH) return undefined;
  const [prefix, ...rest] = chatId.split(':');
  if (prefix === 'dm' && rest.length === 2) {
    const [a, b] = rest as [string, string];
    // One id per pair: `dm:bob:alice` would be a second chat of the same two users.
    if (!IDENTITY_ID_PATTERN.test(a) || !IDENTITY_ID_PATTERN.test(b) || a >= b)
      return undefined;
    return { kind: 'direct', users: [a, b] };
  }
  if (prefix === 'photo' && rest.length === 1 && UUID.test(rest[0]!))
    return { kind: 'photo', photoId: rest[0]! };
  return undefined;
}

/**
 * Message ids name their chat (`{chatId}#{seq}`), so that a request naming a
 * message (`message:react { messageId, emoji }`) needs no chat id beside it.
 */
export const messageId = (chatId: string, seq: number): string =>
  `${chatId}#${seq}`;

/** The chat and sequence number of a message id; undefined when it is not one. */
export function parseMessageId(
  id: string,
): { chatId: string; seq: number } | undefined {
  const at = id.lastIndexOf('#');
  if (at <= 0) return undefined;
  const seq = Number(id.slice(at + 1));
  const chatId = id.slice(0, at);
  if (!Number.isSafeInteger(seq) || seq < 1 || !parseChatId(chatId))
    return undefined;
  return { chatId, seq };
}

/**
 * Whether a user may join a chat's room (`chat:{chatId}`) with `subscribe`, as
 * the client SDK does to recover a chat's events after a reconnect: only its
 * members may.
 */
export async function mayJoinChatRoom(
  userId: string,
  room: string,
  isPhotoOwner: (userId: string, photoId: string) => Promise<boolean>,
): Promise<boolean> {
  const chat = room.startsWith('chat:')
    ? parseChatId(room.slice('chat:'.length))
    : undefined;
  if (!chat) return false;
  if (chat.kind === 'direct') return chat.users.includes(userId);
  return isPhotoOwner(userId, chat.photoId);
}
