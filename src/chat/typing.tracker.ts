import {
  TypingRelay,
  type TypingState,
  userRoom,
} from '@shared-infra/event-bus/gateway';
import type { Server, Socket } from 'socket.io';
import { chatRoom } from './chat-ids.js';
import { CHAT_DIRECT_EVENTS } from './chat.events.js';
import type { TypingNotice } from './chat.interfaces.js';

/** A `typing:start` not renewed within this time is followed by `typing:stop` (seed 002: 3 s). */
export const TYPING_TIMEOUT_MS = 3000;
/** Instance to instance (socket.io `serverSideEmit`), never sent to a socket. */
const TYPING_SYNC = 'chat:typing-sync';

/**
 * Seed 002's typing indicator: `typing:start` reaches the chat's other
 * members once, renewed by repeating it, and `typing:stop` follows when the
 * sender says so, sends the message, disconnects, or does not renew it within
 * 3 s. Ephemeral, never stored. Every socket of the sender's user is left
 * out, not only the typing one: a user's other tab should not show that they
 * themselves type.
 *
 * Across instances through the library's `TypingRelay`: each instance relays
 * to its own sockets and runs its own expiry, so typing still ends when the
 * sender's instance dies.
 */
export class TypingTracker {
  private readonly relay: TypingRelay;

  /** `graceMs`: see `TypingRelayOptions` (default 2 s). */
  constructor(timeoutMs = TYPING_TIMEOUT_MS, graceMs?: number) {
    this.relay = new TypingRelay({
      syncEvent: TYPING_SYNC,
      timeoutMs,
      ...(graceMs !== undefined ? { graceMs } : {}),
      emit: relayTyping,
    });
  }

  /** Relays to `server`'s sockets from now on, and hears the other instances. */
  attach(server: Server): void {
    this.relay.attach(server);
  }

  start(socket: Socket, userId: string, chatId: string): void {
    this.relay.start(socket.id, userId, chatId);
  }

  /** Ends the socket's typing in the chat; nothing when it was not typing there. */
  stop(socket: Socket, _userId: string, chatId: string): void {
    this.relay.stop(socket.id, chatId);
  }

  disconnected(socket: Socket, _userId: string): void {
    this.relay.disconnected(socket.id);
  }
}

/** To this instance's sockets in the chat, none of the sender's user's. */
function relayTyping(
  server: Server,
  state: 'started' | 'stopped',
  { room: chatId, userId }: TypingState,
): void {
  const notice: TypingNotice = { chatId, userId };
  server.local
    .to(chatRoom(chatId))
    .except(userRoom(userId))
    .emit(
      state === 'started'
        ? CHAT_DIRECT_EVENTS.typingStart
        : CHAT_DIRECT_EVENTS.typingStop,
      notice,
    );
}
