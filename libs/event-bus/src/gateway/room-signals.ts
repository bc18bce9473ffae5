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
 * Ephemeral signals between the members of a room (`signal { room, kind, data? }`),
 * relayed on every instance through the socket.io adapter; nothing is stored.
 * `typing` is relayed as `started` once and followed by a `stopped` when not
 * renewed within `signals.typingTimeoutMs`, when stopped with
 * `data: { stopped: true }`, or when the sender leaves.
 */
export class RoomSignals {
  private server?: Server;
  /** socket id → room → expiry timer of its `typing` signal there. */
  private readonly typing = new Map<string, Map<string, NodeJS.Timeout>>();

  constructor(
    private readonly config: ResolvedGatewayConfig,
    private readonly counters: GatewayCounters,
  ) {}

  attach(server: Server): void {
    this.server = server;
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
    const timer = rooms?.get(room);
    if (!rooms || !timer) return;
    clearTimeout(timer);
    rooms.delete(room);
    if (rooms.size === 0) this.typing.delete(socket.id);
    this.relay(socket, { room, kind: 'typing', state: 'stopped' });
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
    if (running) clearTimeout(running);
    else this.relay(socket, { room, kind: 'typing', state: 'started' });
    const timer = setTimeout(
      () => this.stopTyping(socket, room),
      this.config.signals.typingTimeoutMs,
    );
    timer.unref();
    rooms.set(room, timer);
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
