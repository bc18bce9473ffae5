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
import { TypingRelay, type TypingState } from './typing-relay.js';

/** Instance to instance (socket.io `serverSideEmit`), never sent to a socket. */
const TYPING_SYNC = 'eventbus:typing-sync';

/**
 * Ephemeral signals between the members of a room (`signal { room, kind, data? }`),
 * relayed on every instance through the socket.io adapter; nothing is stored.
 * `typing` is relayed as `started` once and followed by a `stopped` when not
 * renewed within `signals.typingTimeoutMs`, when stopped with
 * `data: { stopped: true }`, or when the sender leaves. The sender's instance
 * tells every instance (`serverSideEmit`) of a `typing`'s start, renewals and
 * end; each relays `started` / `stopped` to its own sockets and runs its own
 * expiry (the timeout plus a grace), so a `typing` whose sender's instance
 * died still stops (`TypingRelay`).
 */
export class RoomSignals {
  private server?: Server;
  private readonly typing: TypingRelay;

  constructor(
    private readonly config: ResolvedGatewayConfig,
    private readonly counters: GatewayCounters,
  ) {
    this.typing = new TypingRelay({
      syncEvent: TYPING_SYNC,
      timeoutMs: config.signals.typingTimeoutMs,
      emit: relayTyping,
      // Counted where the signal came from, as the other kinds.
      onEnded: () => this.counters.signalsRelayed++,
    });
  }

  attach(server: Server): void {
    this.server = server;
    this.typing.attach(server);
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
    this.typing.stop(socket.id, room);
  }

  /** The socket disconnected: its `typing` ends everywhere. */
  disconnected(socket: Socket): void {
    this.typing.disconnected(socket.id);
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
    if (this.typing.start(socket.id, identityOf(socket).userId, room))
      this.counters.signalsRelayed++;
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

/** To this instance's sockets in the room, never the sender. */
function relayTyping(
  server: Server,
  state: 'started' | 'stopped',
  { room, userId, socketId }: TypingState,
): void {
  const payload: RoomSignal = {
    room,
    kind: 'typing',
    state,
    from: { userId },
    at: new Date().toISOString(),
  };
  server.local.to(room).except(socketId).emit(SERVER_EVENTS.signal, payload);
}
