import { userRoom } from '@shared-infra/event-bus/gateway';
import type { Server, Socket } from 'socket.io';
import { chatRoom } from './chat-ids.js';
import { CHAT_DIRECT_EVENTS } from './chat.events.js';
import type { TypingNotice } from './chat.interfaces.js';

/** A `typing:start` not renewed within this time is followed by `typing:stop` (seed 002: 3 s). */
export const TYPING_TIMEOUT_MS = 3000;
/**
 * How much longer than that a receiving instance waits for a renewal (or a
 * stop) before it stops the typing itself: the sender's instance may be gone.
 */
export const TYPING_GRACE_MS = 2000;
/** A renewal is passed on to the other instances at most this often per socket and chat. */
const RENEWAL_EVERY_MS = 1000;
/** Instance to instance (socket.io `serverSideEmit`), never sent to a socket. */
const TYPING_SYNC = 'chat:typing-sync';

/** What instances tell each other of one socket's typing in one chat. */
interface TypingSync {
  chatId: string;
  userId: string;
  socketId: string;
  typing: boolean;
}

interface Typing {
  timer: NodeJS.Timeout;
  /** When the last renewal was passed on (ms). */
  syncedAt: number;
}

function isTypingSync(value: unknown): value is TypingSync {
  const sync = value as Partial<TypingSync> | null;
  return (
    typeof sync === 'object' &&
    sync !== null &&
    typeof sync.chatId === 'string' &&
    typeof sync.userId === 'string' &&
    typeof sync.socketId === 'string' &&
    typeof sync.typing === 'boolean'
  );
}

/**
 * Seed 002's typing indicator: `typing:start` reaches the chat's other
 * members once, renewed by repeating it, and `typing:stop` follows when the
 * sender says so, sends the message, disconnects, or does not renew it within
 * 3 s. Ephemeral, never stored. Every socket of the sender's user is left
 * out, not only the typing one: a user's other tab should not show that they
 * themselves type.
 *
 * The sender's instance tells every instance (`serverSideEmit`) of the start,
 * its renewals and its end; each one relays `typing:start` / `typing:stop` to
 * its own sockets and runs its own expiry (the timeout plus a grace): when the
 * sender's instance dies, its timer dies with it, and the receivers' instances
 * still end the typing.
 */
export class TypingTracker {
  /** Sender side: socket id → chat id → its typing there. */
  private readonly typing = new Map<string, Map<string, Typing>>();
  /** Receiver side (every instance): chat, user and socket → expiry timer of a typing relayed here. */
  private readonly relayed = new Map<string, NodeJS.Timeout>();
  private server?: Server;

  constructor(
    private readonly timeoutMs = TYPING_TIMEOUT_MS,
    private readonly graceMs = TYPING_GRACE_MS,
  ) {}

  /** Relays to `server`'s sockets from now on, and hears the other instances. */
  attach(server: Server): void {
    this.server = server;
    server.on(TYPING_SYNC, (sync: unknown) => {
      if (isTypingSync(sync)) this.seen(sync);
    });
  }

  start(socket: Socket, userId: string, chatId: string): void {
    let chats = this.typing.get(socket.id);
    if (!chats) this.typing.set(socket.id, (chats = new Map()));
    const running = chats.get(chatId);
    if (running) clearTimeout(running.timer);
    const now = Date.now();
    const renew = !running || now - running.syncedAt >= RENEWAL_EVERY_MS;
    const timer = setTimeout(
      () => this.stop(socket, userId, chatId),
      this.timeoutMs,
    );
    timer.unref();
    chats.set(chatId, { timer, syncedAt: renew ? now : running.syncedAt });
    if (renew) this.sync({ chatId, userId, socketId: socket.id, typing: true });
  }

  /** Ends the socket's typing in the chat; nothing when it was not typing there. */
  stop(socket: Socket, userId: string, chatId: string): void {
    const chats = this.typing.get(socket.id);
    const running = chats?.get(chatId);
    if (!chats || !running) return;
    clearTimeout(running.timer);
    chats.delete(chatId);
    if (chats.size === 0) this.typing.delete(socket.id);
    this.sync({ chatId, userId, socketId: socket.id, typing: false });
  }

  disconnected(socket: Socket, userId: string): void {
    for (const chatId of [...(this.typing.get(socket.id)?.keys() ?? [])])
      this.stop(socket, userId, chatId);
  }

  /** Here and on every other instance. */
  private sync(sync: TypingSync): void {
    this.seen(sync);
    this.server?.serverSideEmit(TYPING_SYNC, sync);
  }

  /** A typing state from any instance, for this instance's sockets. */
  private seen(sync: TypingSync): void {
    const key = `${sync.chatId}\n${sync.userId}\n${sync.socketId}`;
    const expiry = this.relayed.get(key);
    if (expiry) clearTimeout(expiry);
    if (!sync.typing) {
      if (!expiry) return;
      this.relayed.delete(key);
      this.relayLocal(CHAT_DIRECT_EVENTS.typingStop, sync);
      return;
    }
    if (!expiry) this.relayLocal(CHAT_DIRECT_EVENTS.typingStart, sync);
    const timer = setTimeout(() => {
      this.relayed.delete(key);
      this.relayLocal(CHAT_DIRECT_EVENTS.typingStop, sync);
    }, this.timeoutMs + this.graceMs);
    timer.unref();
    this.relayed.set(key, timer);
  }

  private relayLocal(event: string, { chatId, userId }: TypingSync): void {
    const notice: TypingNotice = { chatId, userId };
    this.server?.local
      .to(chatRoom(chatId))
      .except(userRoom(userId))
      .emit(event, notice);
  }
}
