import type { Server } from 'socket.io';
import type { EventBusLogger } from '../event-bus.logger.js';
import { randomUUID } from 'node:crypto';
import type { EventRouter } from '../routing/event-router.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import type { Subscription } from '../interfaces/publish.interface.js';
import { targetRoom } from '../rooms/room-names.js';
import type { GatewayCounters } from './gateway-counters.js';
import type { ClientEvent } from './interfaces.js';
import { LiveSinceJoin } from './live-since-join.js';

/** How long ids replayed to a socket are kept from reaching it live again. */
const REPLAYED_IDS_TTL_MS = 10_000;
/**
 * How long after a socket joins a room the ids of the live events it got there
 * are kept, so that a `subscribe` with `lastEventId` does not replay them again.
 */
const LIVE_IDS_TTL_MS = 10_000;
/** At most this many live ids per socket and room are kept for that. */
const LIVE_IDS_MAX = 1000;

/** How long ids a repair replayed are kept from reaching their room live again (PUBLISH trails XADD). */
const REPAIRED_IDS_TTL_MS = 10_000;

/**
 * At most this many live room events wait for an outage's repair. More come
 * only while the subscriber is up and the rest of the transport is not (the
 * publisher reconnecting): then they go out, and the repair is given up.
 */
const MAX_OUTAGE_HELD = 10_000;

/** room → socket id → what is kept for that socket in that room. */
type PerRoomSocket<T> = Map<string, Map<string, T>>;

/** Puts `ids` at room → socket id in `store` for `ttlMs`, then removes them (and the room when it is empty). */
function keepIds(
  store: PerRoomSocket<Set<string>>,
  room: string,
  socketId: string,
  ids: Set<string>,
  ttlMs: number,
): void {
  let sockets = store.get(room);
  if (!sockets) store.set(room, (sockets = new Map()));
  sockets.set(socketId, ids);
  setTimeout(() => {
    if (sockets.get(socketId) === ids) sockets.delete(socketId);
    if (sockets.size === 0 && store.get(room) === sockets) store.delete(room);
  }, ttlMs).unref();
}

/**
 * `ClientEvent` of an envelope, for the room it goes to.
 *
 * @publicApi
 */
export function toClientEvent(event: EventEnvelope, room: string): ClientEvent {
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    timestamp: event.metadata.timestamp,
    room,
  };
}

/**
 * Bus events → the sockets of this instance in the event's room. Every
 * instance hears the room-targeted events on the gateway route (not the rest
 * of the bus: see `EventPublisher`), so each socket gets each event once, from
 * the instance it is connected to. Keeps what a recovery needs to neither
 * lose nor double an event: live events held back for a socket being replayed
 * to, ids just replayed (kept from reaching it live again), ids a socket got
 * live since it joined (left out of a later replay).
 */
export class RoomDelivery {
  private server?: Server;
  private subscription?: Subscription;
  /** room → socket id → live events held back while that socket's missed ones are replayed. */
  private readonly recovering: PerRoomSocket<ClientEvent[]> = new Map();
  /**
   * room → socket id → ids just replayed to it. An event can be in the history
   * yet reach this instance live only after the replay (PUBLISH trails XADD):
   * for a while those ids skip that socket.
   */
  private readonly replayed: PerRoomSocket<Set<string>> = new Map();
  /**
   * The ids of the live events each socket got in a room since it joined (for
   * LIVE_IDS_TTL_MS): a replay into a room the socket is already in leaves
   * them out (its own rooms are joined on connect, before the client's
   * `subscribe` with `lastEventId` arrives).
   */
  private readonly liveSince = new LiveSinceJoin(LIVE_IDS_TTL_MS, LIVE_IDS_MAX);
  /**
   * room → id of the last event this instance delivered there, for the rooms
   * with sockets here: where a repair after a bus outage starts (`RoomOutageRepair`).
   */
  private readonly lastDelivered = new Map<string, string>();
  /** Set from a bus outage until its repair is done: the live room events wait here, in order. */
  private outageHeld?: EventEnvelope[];
  /** The events held for the current outage overflowed `MAX_OUTAGE_HELD` and went out unrepaired. */
  private outageOverflowed = false;
  /** room → ids a repair replayed there: their live copy, arriving later, is dropped. */
  private readonly repaired = new Map<string, Set<string>>();

  constructor(
    private readonly router: EventRouter,
    private readonly counters: GatewayCounters,
    private readonly logger: EventBusLogger,
    /** The socket event name of a type (`socketEventNames`). */
    readonly eventName: (type: string) => string = type => type,
  ) {}

  /** Emits to `server`'s sockets from now on. */
  attach(server: Server): void {
    this.server = server;
    // A room with no socket here any more needs no repair.
    server
      .of('/')
      .adapter.on('delete-room', (room: string) =>
        this.lastDelivered.delete(room),
      );
  }

  /**
   * The bus subscriber is away: live room events are held from now until
   * `endOutage()`. Answers where each room's delivery stopped.
   */
  beginOutage(): Map<string, string> {
    this.outageHeld ??= [];
    this.outageOverflowed = false;
    return new Map(this.lastDelivered);
  }

  /** Whether the live events held for this outage overflowed and went out: it cannot be repaired. */
  get overflowed(): boolean {
    return this.outageOverflowed;
  }

  /** The rooms with sockets of this instance (socket.io's room of each socket's id left out). */
  localRooms(): string[] {
    const adapter = this.server?.of('/').adapter;
    if (!adapter) return [];
    return [...adapter.rooms.keys()].filter(room => !adapter.sids.has(room));
  }

  /**
   * Emits a repair's replay of `room` (events missed during the outage, in
   * history order), leaving out the ones already delivered live; their live
   * copies are dropped from then on.
   */
  replayMissed(room: string, events: EventEnvelope[]): number {
    const held = new Set<string>();
    for (const event of this.outageHeld ?? [])
      if (targetRoom(event.metadata) === room) held.add(event.id);
    let replayed = 0;
    const ids = new Set<string>();
    for (const event of events) {
      ids.add(event.id);
      // Held ones go out after the replay, in their own order.
      if (held.has(event.id)) continue;
      this.emit(event, room, true);
      replayed++;
    }
    if (ids.size > 0) {
      const previous = this.repaired.get(room);
      if (previous) for (const id of previous) ids.add(id);
      this.repaired.set(room, ids);
      setTimeout(() => {
        if (this.repaired.get(room) === ids) this.repaired.delete(room);
      }, REPAIRED_IDS_TTL_MS).unref();
    }
    return replayed;
  }

  /** The repair is done: the held live events go out, in order. */
  endOutage(): void {
    const held = this.outageHeld;
    this.outageHeld = undefined;
    for (const event of held ?? []) {
      const room = targetRoom(event.metadata);
      if (room !== undefined) this.emit(event, room, false);
    }
  }

  /** Subscribes to the gateway route; every event with a room is delivered. */
  async start(): Promise<void> {
    this.subscription = await this.router.addGateway(
      event => this.deliver(event),
      { retry: { maxRetries: 0 }, concurrency: 1000 },
      // Class.method, as handlers are named (logs, and the delivery's OpenTelemetry span).
      'EventBusGateway.deliver',
      randomUUID(),
    );
  }

  async stop(): Promise<void> {
    await this.subscription?.unsubscribe().catch(() => undefined);
  }

  /** Starts keeping the ids of the live events `socketId` gets in `room` (see `liveSince`). */
  watchLive(room: string, socketId: string, initial?: Set<string>): void {
    this.liveSince.joined(room, socketId, initial);
  }

  /** Ids of the live events `socketId` got in `room` since it joined, until now (while kept). */
  seenLive(room: string, socketId: string): Set<string> | undefined {
    return this.liveSince.seen(room, socketId);
  }

  /** Keeps `ids` from reaching `socketId` live in `room` for a while: they were just replayed. */
  rememberReplayed(room: string, socketId: string, ids: Set<string>): void {
    keepIds(this.replayed, room, socketId, ids, REPLAYED_IDS_TTL_MS);
  }

  /** Collects the live events of `room` for `socketId` until `release()`. */
  hold(room: string, socketId: string): ClientEvent[] {
    let waiting = this.recovering.get(room);
    if (!waiting) this.recovering.set(room, (waiting = new Map()));
    const held: ClientEvent[] = [];
    waiting.set(socketId, held);
    return held;
  }

  /** Whether the live events of `room` are held back for `socketId` (a recovery is under way). */
  isHolding(room: string, socketId: string): boolean {
    return this.recovering.get(room)?.has(socketId) ?? false;
  }

  release(room: string, socketId: string): void {
    const waiting = this.recovering.get(room);
    if (!waiting) return;
    waiting.delete(socketId);
    if (waiting.size === 0) this.recovering.delete(room);
  }

  /** The socket left `room`. */
  left(room: string, socketId: string): void {
    this.liveSince.left(room, socketId);
  }

  /** The socket disconnected: nothing is held for it any more. */
  disconnected(socketId: string): void {
    for (const waiting of this.recovering.values()) waiting.delete(socketId);
    this.liveSince.gone(socketId);
  }

  private deliver(event: EventEnvelope): void {
    const room = targetRoom(event.metadata);
    if (room === undefined || !this.server) return;
    if (this.outageHeld) {
      this.outageHeld.push(event);
      if (this.outageHeld.length >= MAX_OUTAGE_HELD) {
        this.endOutage();
        this.outageOverflowed = true;
      }
      return;
    }
    // Replayed by a repair: this is the live copy, late.
    if (this.repaired.get(room)?.has(event.id)) return;
    this.emit(event, room, false);
  }

  private emit(event: EventEnvelope, room: string, replay: boolean): void {
    if (!this.server) return;
    const payload = toClientEvent(event, room);
    const waiting = this.recovering.get(room);
    if (waiting) for (const held of waiting.values()) held.push(payload);
    try {
      // local: every instance hears the bus itself; the adapter must not fan it out again.
      let target = this.server.local.to(room);
      const replayed = this.replayed.get(room);
      if (replayed)
        for (const [socketId, ids] of replayed)
          if (ids.has(event.id)) target = target.except(socketId);
      target.emit(this.eventName(event.type), payload);
      if (replay) this.counters.eventsReplayed++;
      else this.counters.eventsEmitted++;
      this.liveSince.delivered(room, event.id);
      if (this.server.of('/').adapter.rooms.has(room))
        this.lastDelivered.set(room, event.id);
    } catch (error) {
      this.logger.limited(
        'emit failed',
        'warn',
        `Could not emit ${event.type} to room "${room}": ${(error as Error).message}.`,
      );
    }
  }
}
