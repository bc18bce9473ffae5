import { userRoom } from '@shared-infra/event-bus/gateway';
import type { Server, Socket } from 'socket.io';
import { chatRoom } from './chat-ids.js';
import { CHAT_DIRECT_EVENTS } from './chat.events.js';
import type { TypingNotice } from './chat.interfaces.js';

/** A `typing:start` not renewed within this time is followed by `typing:stop` (seed 002: 3 s). */
export const TYPING_TIMEOUT_MS = 3000;

/**
 * Seed 002's typing indicator: `typing:start` reaches the chat's other
 * members once, renewed by repeating it, and `typing:stop` follows when the
 * sender says so, sends the message, disconnects, or does not renew it within
 * 3 s. Ephemeral: relayed through the socket.io adapter to every instance,
 * never stored. Every socket of the sender's user is left out, not only the
 * typing one: a user's other tab should not show that they themselves type.
 */
export class TypingTracker {
  /** socket id → chat id → expiry timer. */
  private readonly typing = new Map<string, Map<string, NodeJS.Timeout>>();

  constructor(
    private readonly server: () => Server,
    private readonly timeoutMs = TYPING_TIMEOUT_MS,
  ) {}

  start(socket: Socket, userId: string, chatId: string): void {
    let chats = this.typing.get(socket.id);
    if (!chats) this.typing.set(socket.id, (chats = new Map()));
    const running = chats.get(chatId);
    if (running) clearTimeout(running);
    else this.relay(CHAT_DIRECT_EVENTS.typingStart, userId, chatId);
    const timer = setTimeout(
      () => this.stop(socket, userId, chatId),
      this.timeoutMs,
    );
    timer.unref();
    chats.set(chatId, timer);
  }

  /** Ends the socket's typing in the chat; nothing when it was not typing there. */
  stop(socket: Socket, userId: string, chatId: string): void {
    const chats = this.typing.get(socket.id);
    const timer = chats?.get(chatId);
    if (!chats || !timer) return;
    clearTimeout(timer);
    chats.delete(chatId);
    if (chats.size === 0) this.typing.delete(socket.id);
    this.relay(CHAT_DIRECT_EVENTS.typingStop, userId, chatId);
  }

  disconnected(socket: Socket, userId: string): void {
    for (const chatId of [...(this.typing.get(socket.id)?.keys() ?? [])])
      this.stop(socket, userId, chatId);
  }

  private relay(event: string, userId: string, chatId: string): void {
    const notice: TypingNotice = { chatId, userId };
    this.server()
      .to(chatRoom(chatId))
      .except(userRoom(userId))
      .emit(event, notice);
  }
}
