import type { Server, Socket } from 'socket.io';
import type { EventBusLogger } from '../event-bus.logger.js';
import { SERVER_EVENTS } from './gateway.constants.js';
import { identityOf } from './handshake.middleware.js';
import type { RoomPresenceCounts, RoomPresenceEvent } from './interfaces.js';
import type { RoomPresenceStore } from './room-presence.store.js';
import type { RoomPolicy } from './room-options.js';

/**
 * Presence per room, for the rooms with `presence: true`: who is in them on
 * every instance (`counts`), and `presence:join` / `presence:leave` to their
 * members when a user's first socket joins or last socket leaves, whichever
 * instance either is on. It listens to the socket.io adapter's room changes,
 * so every way into a room counts: `subscribe`, the rooms joined on connect,
 * `addUserToRoom` from any instance; a disconnect leaves every room.
 * Best effort: a store error is logged (rate-limited) and the socket is served anyway.
 */
export class RoomPresence {
  private server?: Server;
  /** room → socket id → user id: this instance's sockets in presence rooms, as recorded. */
  private readonly local = new Map<string, Map<string, string>>();
  /** socket id → its rooms in `local`. */
  private readonly bySocket = new Map<string, Set<string>>();
  /** The last store command of each socket in each room, so that its leave follows its join. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly instanceId: string,
    private readonly store: RoomPresenceStore,
    private readonly policy: RoomPolicy,
    /** Whether a socket is being replayed a room's missed events (it left the room meanwhile). */
    private readonly recovering: (room: string, socketId: string) => boolean,
    private readonly logger: EventBusLogger,
  ) {}

  attach(server: Server): void {
    this.server = server;
    if (!this.policy.anyPresence) return;
    const adapter = server.of('/').adapter;
    adapter.on('join-room', (room: string, socketId: string) =>
      this.joined(room, socketId),
    );
    adapter.on('leave-room', (room: string, socketId: string) =>
      // A recovery leaves the room while it replays, then joins again: not a leave.
      setImmediate(() => this.left(room, socketId)),
    );
  }

  /** Whether `room` has presence (`rooms` option). */
  tracks(room: string): boolean {
    return this.policy.presence(room);
  }

  counts(room: string): Promise<RoomPresenceCounts> {
    return this.store.counts(room);
  }

  /** The socket disconnected: it leaves every presence room it was recorded in. */
  disconnected(socketId: string): void {
    for (const room of [...(this.bySocket.get(socketId) ?? [])])
      this.left(room, socketId);
  }

  /** A dead instance's sockets are gone: their users that had no other socket in a room leave it. */
  async purge(instanceId: string): Promise<void> {
    if (!this.policy.anyPresence) return;
    for (const { room, userId } of await this.store.purge(instanceId))
      this.announce(SERVER_EVENTS.presenceLeave, room, userId);
  }

  /**
   * Records this instance's sockets again, after its records were lost (it was
   * taken for dead, or Redis lost its data); users the others saw leave join again.
   */
  async restore(): Promise<void> {
    for (const [room, sockets] of this.local)
      for (const [socketId, userId] of sockets)
        this.after(room, socketId, () => this.record(room, socketId, userId));
    await Promise.all([...this.pending.values()]);
  }

  /** Waits for the store commands under way (the sockets were disconnected), then forgets this instance. */
  async stop(): Promise<void> {
    if (!this.policy.anyPresence) return;
    await Promise.all([...this.pending.values()]);
    await this.store.forget(this.instanceId).catch(() => undefined);
  }

  private joined(room: string, socketId: string): void {
    if (room === socketId || !this.policy.presence(room)) return;
    const socket = this.server?.of('/').sockets.get(socketId);
    const userId = socket && identityOf(socket)?.userId;
    if (!userId) return;
    let sockets = this.local.get(room);
    if (!sockets) this.local.set(room, (sockets = new Map()));
    // Back from a recovery: its leave was never recorded.
    if (sockets.has(socketId)) return;
    sockets.set(socketId, userId);
    let rooms = this.bySocket.get(socketId);
    if (!rooms) this.bySocket.set(socketId, (rooms = new Set()));
    rooms.add(room);
    this.after(room, socketId, () => this.record(room, socketId, userId));
  }

  private async record(
    room: string,
    socketId: string,
    userId: string,
  ): Promise<void> {
    const count = await this.store.join(
      this.instanceId,
      room,
      socketId,
      userId,
    );
    if (count === 1) this.announce(SERVER_EVENTS.presenceJoin, room, userId);
  }

  private left(room: string, socketId: string): void {
    const sockets = this.local.get(room);
    const userId = sockets?.get(socketId);
    if (!sockets || userId === undefined) return;
    const socket = this.server?.of('/').sockets.get(socketId);
    if (socket?.connected && this.stillIn(socket, room)) return;
    sockets.delete(socketId);
    if (sockets.size === 0) this.local.delete(room);
    const rooms = this.bySocket.get(socketId);
    rooms?.delete(room);
    if (rooms?.size === 0) this.bySocket.delete(socketId);
    this.after(room, socketId, async () => {
      const { removed, remaining } = await this.store.leave(
        this.instanceId,
        room,
        socketId,
        userId,
      );
      if (removed && remaining === 0)
        this.announce(SERVER_EVENTS.presenceLeave, room, userId);
    });
  }

  private stillIn(socket: Socket, room: string): boolean {
    return socket.rooms.has(room) || this.recovering(room, socket.id);
  }

  /** Runs `command` after the socket's previous one in `room`. */
  private after(
    room: string,
    socketId: string,
    command: () => Promise<void>,
  ): void {
    const key = `${room}\u0000${socketId}`;
    const done = (this.pending.get(key) ?? Promise.resolve())
      .then(command)
      .catch((error: unknown) =>
        this.logger.limited(
          'room presence failed',
          'warn',
          `Could not record presence in room "${room}": ${(error as Error).message}.`,
        ),
      );
    this.pending.set(key, done);
    void done.then(() => {
      if (this.pending.get(key) === done) this.pending.delete(key);
    });
  }

  /** To the room's sockets on every instance, through the adapter; nothing is stored. */
  private announce(
    name: (typeof SERVER_EVENTS)['presenceJoin' | 'presenceLeave'],
    room: string,
    userId: string,
  ): void {
    const event: RoomPresenceEvent = {
      room,
      user: { userId },
      at: new Date().toISOString(),
    };
    this.server?.to(room).emit(name, event);
  }
}
