import type { Server, Socket } from 'socket.io';
import { SERVER_EVENTS } from './gateway.constants.js';
import { GatewayAckError } from './gateway-ack.error.js';
import type { GatewayCounters } from './gateway-counters.js';
import type { ResolvedGatewayConfig } from './gateway.config.js';
import { identityOf } from './handshake.middleware.js';
import type {
  RoomSignal,
  SignalPayload,
  SocketIdentity,
} from './interfaces.js';
import { jsonSize } from './json-size.util.js';

/**
 * How much longer than `signals.typingTimeoutMs` an instance waits for a
 * renewal (or a stop) of a `typing` it relayed before it stops it itself: the
 * sender's instance may be gone, and its timer with it.
 */
const TYPING_GRACE_MS = 2000;
/** A renewal is passed on to the other instances at most this often per socket and room. */
const RENEWAL_EVERY_MS = 1000;
/** Instance to instance (socket.io `serverSideEmit`), never sent to a socket. */
const TYPING_SYNC = 'eventbus:typing-sync';

/** What instances tell each other of one socket's `typing` in one room. */
interface TypingSync {
  room: string;
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
    typeof sync.room === 'string' &&
    typeof sync.userId === 'string' &&
    typeof sync.socketId === 'string' &&
    typeof sync.typing === 'boolean'
  );
}

/**
 * Ephemeral signals between the members of a room (`signal { room, kind, data? }`),
 * relayed on every instance through the socket.io adapter; nothing is stored.
 * `typing` is relayed as `started` once and followed by a `stopped` when not
 * renewed within `signals.typingTimeoutMs`, when stopped with
 * `data: { stopped: true }`, or when the sender leaves. The sender's instance
 * tells every instance (`serverSideEmit`) of a `typing`'s start, renewals and
 * end; each relays `started` / `stopped` to its own sockets and runs its own
 * expiry (the timeout plus a grace), so a `typing` whose sender's instance
 * died still stops.
 */
export class RoomSignals {
  private server?: Server;
  /** Sender side: socket id → room → its `typing` there. */
  private readonly typing = new Map<string, Map<string, Typing>>();
  /** Receiver side (every instance): room and socket → expiry timer of a `typing` relayed here. */
  private readonly relayed = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly config: ResolvedGatewayConfig,
    private readonly counters: GatewayCounters,
  ) {}

  attach(server: Server): void {
    this.server = server;
    server.on(TYPING_SYNC, (sync: unknown) => {
      if (isTypingSync(sync)) this.seen(sync);
    });
  }

  /** Checks the policy and relays; throws `GatewayAckError` on a refusal. */
  async signal(socket: Socket, request: SignalPayload): Promise<void> {
    const { room, kind, data } = request;
    this.assertIn(socket, room);
    if (!(await this.canSignal(identityOf(socket), room, kind))) {
      this.counters.forbidden++;
      throw new GatewayAckError(
        'forbidden',
        `room "${room}" is receive-only: clients may not signal in it`,
      );
    }
    // The policy may have taken a while: the socket may have left meanwhile.
    this.assertIn(socket, room);
    const size = jsonSize(data);
    if (size > this.config.signals.maxDataBytes) {
      throw new GatewayAckError(
        'too_large',
        `signal data is ${size} bytes, over the limit of ${this.config.signals.maxDataBytes}`,
      );
    }
    if (kind === 'typing') {
      if ((data as { stopped?: unknown } | undefined)?.stopped === true)
        this.stopTyping(socket, room);
      else this.startTyping(socket, room);
      return;
    }
    this.relay(socket, { room, kind, ...(data !== undefined ? { data } : {}) });
  }

  /** Ends the socket's `typing` in `room`, if it is typing there. */
  stopTyping(socket: Socket, room: string): void {
    const rooms = this.typing.get(socket.id);
    const running = rooms?.get(room);
    if (!rooms || !running) return;
    clearTimeout(running.timer);
    rooms.delete(room);
    if (rooms.size === 0) this.typing.delete(socket.id);
    this.sync(socket, room, false);
    // Counted where the signal came from, as the other kinds.
    this.counters.signalsRelayed++;
  }

  /** The socket disconnected: its `typing` ends everywhere. */
  disconnected(socket: Socket): void {
    const typing = this.typing.get(socket.id);
    if (typing)
      for (const room of [...typing.keys()]) this.stopTyping(socket, room);
  }

  private assertIn(socket: Socket, room: string): void {
    if (socket.rooms.has(room)) return;
    this.counters.forbidden++;
    throw new GatewayAckError(
      'forbidden',
      `subscribe to room "${room}" before signalling in it`,
    );
  }

  private async canSignal(
    identity: SocketIdentity,
    room: string,
    kind: string,
  ): Promise<boolean> {
    const custom = this.config.options.signals?.canSignal;
    if (custom) return (await custom(identity, room, kind)) === true;
    return (
      !this.config.isReceiveOnly(room) &&
      this.config.rooms.maySend(identity, room)
    );
  }

  private startTyping(socket: Socket, room: string): void {
    let rooms = this.typing.get(socket.id);
    if (!rooms) this.typing.set(socket.id, (rooms = new Map()));
    const running = rooms.get(room);
    if (running) clearTimeout(running.timer);
    const now = Date.now();
    const renew = !running || now - running.syncedAt >= RENEWAL_EVERY_MS;
    const timer = setTimeout(
      () => this.stopTyping(socket, room),
      this.config.signals.typingTimeoutMs,
    );
    timer.unref();
    rooms.set(room, { timer, syncedAt: renew ? now : running.syncedAt });
    if (renew) this.sync(socket, room, true);
    if (!running) this.counters.signalsRelayed++;
  }

  /** A `typing` state, here and on every other instance. */
  private sync(socket: Socket, room: string, typing: boolean): void {
    const sync: TypingSync = {
      room,
      userId: identityOf(socket).userId,
      socketId: socket.id,
      typing,
    };
    this.seen(sync);
    this.server?.serverSideEmit(TYPING_SYNC, sync);
  }

  /** A `typing` state from any instance, for this instance's sockets. */
  private seen(sync: TypingSync): void {
    const key = `${sync.room}\n${sync.socketId}`;
    const expiry = this.relayed.get(key);
    if (expiry) clearTimeout(expiry);
    if (!sync.typing) {
      if (!expiry) return;
      this.relayed.delete(key);
      this.relayLocal(sync, 'stopped');
      return;
    }
    if (!expiry) this.relayLocal(sync, 'started');
    const timer = setTimeout(() => {
      this.relayed.delete(key);
      this.relayLocal(sync, 'stopped');
    }, this.config.signals.typingTimeoutMs + TYPING_GRACE_MS);
    timer.unref();
    this.relayed.set(key, timer);
  }

  /** To this instance's sockets in the room, never the sender. */
  private relayLocal(sync: TypingSync, state: 'started' | 'stopped'): void {
    const payload: RoomSignal = {
      room: sync.room,
      kind: 'typing',
      state,
      from: { userId: sync.userId },
      at: new Date().toISOString(),
    };
    this.server?.local
      .to(sync.room)
      .except(sync.socketId)
      .emit(SERVER_EVENTS.signal, payload);
  }

  /** To the room's other sockets on every instance (through the adapter), never back to the sender. */
  private relay(socket: Socket, signal: Omit<RoomSignal, 'from' | 'at'>): void {
    const payload: RoomSignal = {
      ...signal,
      from: { userId: identityOf(socket).userId },
      at: new Date().toISOString(),
    };
    // A disconnected socket has left its rooms: send from the server, leaving it out.
    if (socket.connected)
      socket.to(signal.room).emit(SERVER_EVENTS.signal, payload);
    else
      this.server
        ?.to(signal.room)
        .except(socket.id)
        .emit(SERVER_EVENTS.signal, payload);
    this.counters.signalsRelayed++;
  }
}
