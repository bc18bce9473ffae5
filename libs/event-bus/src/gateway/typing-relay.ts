import type { Server } from 'socket.io';

/**
 * How much longer than the timeout an instance waits for a renewal (or a
 * stop) of a typing it relayed before it stops it itself: the sender's
 * instance may be gone, and its timer with it.
 */
export const TYPING_GRACE_MS = 2000;
/** A renewal is passed on to the other instances at most this often per socket and room. */
const RENEWAL_EVERY_MS = 1000;

/** One socket's typing in one room, as instances tell each other of it. */
export interface TypingState {
  /** The app's name for where the typing happens (a room, a chat id): the relay only compares it. */
  room: string;
  userId: string;
  socketId: string;
}

interface TypingSync extends TypingState {
  typing: boolean;
}

export interface TypingRelayOptions {
  /** Instance to instance (socket.io `serverSideEmit`), never sent to a socket; one name per relay. */
  syncEvent: string;
  /** A typing not renewed within this time ends (ms). */
  timeoutMs: number;
  /** Added to `timeoutMs` on the instances that relay a typing (ms); default 2000. */
  graceMs?: number;
  /**
   * Tells this instance's sockets (`server.local`) that `typing` started or
   * stopped; it decides who is left out (at least the sender's socket).
   */
  emit(server: Server, state: 'started' | 'stopped', typing: TypingState): void;
  /** On the sender's instance, when a typing ended there (stopped, expired, disconnected). */
  onEnded?(typing: TypingState): void;
}

function isTypingSync(value: unknown): value is TypingSync {
  const sync = value as Partial<TypingSync> | null;
  return (
    typeof sync === 'object' &&
    sync !== null &&
    typeof sync.room === 'string' &&
    typeof sync.userId === 'string' &&
    typeof sync.socketId === 'string' &&
    typeof sync.typing === 'boolean'
  );
}

interface Typing {
  userId: string;
  timer: NodeJS.Timeout;
  /** When the last renewal was passed on (ms). */
  syncedAt: number;
}

/**
 * Typing state across instances, for apps that relay typing under their own
 * names (the gateway's `signal { kind: 'typing' }` uses it too). A typing
 * starts once, is renewed by repeating `start`, and ends on `stop`, on
 * `disconnected`, or when not renewed within the timeout. The sender's
 * instance tells every instance (`serverSideEmit`) of the start, its renewals
 * (at most once a second) and its end; each one relays `started` / `stopped`
 * to its own sockets and runs its own expiry (the timeout plus a grace), so a
 * typing whose sender's instance died still ends.
 */
export class TypingRelay {
  private server?: Server;
  /** Sender side: socket id → room → its typing there. */
  private readonly typing = new Map<string, Map<string, Typing>>();
  /** Receiver side (every instance): room and socket → expiry timer of a typing relayed here. */
  private readonly relayed = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: TypingRelayOptions) {}

  /** Relays to `server`'s sockets from now on, and hears the other instances. */
  attach(server: Server): void {
    this.server = server;
    server.on(this.options.syncEvent, (sync: unknown) => {
      if (isTypingSync(sync)) this.seen(sync);
    });
  }

  /** Starts or renews the socket's typing in `room`; true when it started. */
  start(socketId: string, userId: string, room: string): boolean {
    let rooms = this.typing.get(socketId);
    if (!rooms) this.typing.set(socketId, (rooms = new Map()));
    const running = rooms.get(room);
    if (running) clearTimeout(running.timer);
    const now = Date.now();
    const renew = !running || now - running.syncedAt >= RENEWAL_EVERY_MS;
    const timer = setTimeout(
      () => this.stop(socketId, room),
      this.options.timeoutMs,
    );
    timer.unref();
    rooms.set(room, {
      userId,
      timer,
      syncedAt: renew ? now : running.syncedAt,
    });
    if (renew) this.sync({ room, userId, socketId, typing: true });
    return !running;
  }

  /** Ends the socket's typing in `room`; nothing when it was not typing there. */
  stop(socketId: string, room: string): void {
    const rooms = this.typing.get(socketId);
    const running = rooms?.get(room);
    if (!rooms || !running) return;
    clearTimeout(running.timer);
    rooms.delete(room);
    if (rooms.size === 0) this.typing.delete(socketId);
    const typing = { room, userId: running.userId, socketId };
    this.sync({ ...typing, typing: false });
    this.options.onEnded?.(typing);
  }

  /** The socket disconnected: its typing ends everywhere. */
  disconnected(socketId: string): void {
    for (const room of [...(this.typing.get(socketId)?.keys() ?? [])])
      this.stop(socketId, room);
  }

  /** Here and on every other instance. */
  private sync(sync: TypingSync): void {
    this.seen(sync);
    this.server?.serverSideEmit(this.options.syncEvent, sync);
  }

  /** A typing state from any instance, for this instance's sockets. */
  private seen({ typing, ...state }: TypingSync): void {
    const key = `${state.room}\n${state.socketId}`;
    const expiry = this.relayed.get(key);
    if (expiry) clearTimeout(expiry);
    if (!typing) {
      if (!expiry) return;
      this.relayed.delete(key);
      this.emit('stopped', state);
      return;
    }
    if (!expiry) this.emit('started', state);
    const timer = setTimeout(
      () => {
        this.relayed.delete(key);
        this.emit('stopped', state);
      },
      this.options.timeoutMs + (this.options.graceMs ?? TYPING_GRACE_MS),
    );
    timer.unref();
    this.relayed.set(key, timer);
  }

  private emit(state: 'started' | 'stopped', typing: TypingState): void {
    if (this.server) this.options.emit(this.server, state, typing);
  }
}
