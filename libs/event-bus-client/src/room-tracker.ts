import type { ClientEvent } from './protocol.js';

/** Event ids remembered per room to drop a repeat. */
export const DEFAULT_DEDUPE_WINDOW = 1000;

interface RoomLog {
  /** Id of the last event delivered from the room: the `lastEventId` of its recovery. */
  lastId?: string;
  /** The last `window` delivered ids, oldest first (with `seen`, a bounded set). */
  order: string[];
  seen: Set<string>;
  /** While a recovery is in flight: the room's events, held back until its ack. */
  held?: ClientEvent[];
}

/**
 * Per room: the id of the last event delivered (sent back as `lastEventId`
 * when the client reconnects), the recently delivered ids (an event seen
 * twice is delivered once), and the events held back while the room recovers.
 *
 * Pure bookkeeping, no I/O: the client feeds it what the socket receives and
 * delivers what it returns.
 */
export class RoomTracker {
  private readonly rooms = new Map<string, RoomLog>();

  constructor(private readonly window = DEFAULT_DEDUPE_WINDOW) {}

  /**
   * An event from the socket. Returns what to deliver now: the event, or
   * nothing when it was delivered before or its room is held.
   */
  receive(event: ClientEvent): ClientEvent[] {
    const log = this.log(event.room);
    if (log.held) {
      log.held.push(event);
      return [];
    }
    return this.accept(log, event) ? [event] : [];
  }

  lastId(room: string): string | undefined {
    return this.rooms.get(room)?.lastId;
  }

  /** Rooms with a log (anything delivered, or held). */
  roomNames(): string[] {
    return [...this.rooms.keys()];
  }

  /** Holds the room's events back until `release` (a recovery is in flight). */
  hold(room: string): void {
    const log = this.log(room);
    log.held ??= [];
  }

  isHeld(room: string): boolean {
    return this.rooms.get(room)?.held !== undefined;
  }

  /**
   * Ends a hold and returns the held events to deliver, in order, without
   * those already delivered.
   *
   * `replayed`: the server answered `recovered: true`, so what it replayed
   * starts right after `lastEventId` and covers every event it had sent live
   * before it took the socket out of the room to replay. Such an event is held
   * twice, first live and then in the replay; the later copy is the one in
   * order, so the earlier one is dropped.
   * `live`: nothing was replayed; the held events are delivered as they came.
   *
   * `replayOrder` (the ack's): the server left out of the replay what the
   * socket had got live before; those events are put where the order puts
   * them, before the ones that came live after the replay.
   */
  release(
    room: string,
    mode: 'replayed' | 'live',
    replayOrder?: readonly string[],
  ): ClientEvent[] {
    const log = this.rooms.get(room);
    if (!log?.held) return [];
    let held = log.held;
    log.held = undefined;
    if (mode === 'replayed') {
      const lastIndex = new Map<string, number>();
      held.forEach((event, index) => lastIndex.set(event.id, index));
      held = held.filter((event, index) => lastIndex.get(event.id) === index);
      if (replayOrder) {
        const rank = new Map(replayOrder.map((id, index) => [id, index]));
        const after = replayOrder.length;
        // Stable: events outside the replay keep their arrival order, after it.
        held = held
          .map((event, index) => ({
            event,
            index,
            rank: rank.get(event.id) ?? after,
          }))
          .sort((x, y) => x.rank - y.rank || x.index - y.index)
          .map(entry => entry.event);
      }
    }
    return held.filter(event => this.accept(log, event));
  }

  /**
   * Ends every hold, dropping what was held: the connection is gone, and the
   * next recovery asks again from the last id delivered.
   */
  dropHolds(): void {
    for (const log of this.rooms.values()) log.held = undefined;
  }

  /** Forgets a room altogether (unsubscribed, or no longer one of the socket's rooms). */
  forget(room: string): void {
    this.rooms.delete(room);
  }

  private log(room: string): RoomLog {
    let log = this.rooms.get(room);
    if (!log) this.rooms.set(room, (log = { order: [], seen: new Set() }));
    return log;
  }

  /** Records the event as delivered; false when it already was. */
  private accept(log: RoomLog, event: ClientEvent): boolean {
    if (log.seen.has(event.id)) return false;
    log.seen.add(event.id);
    log.order.push(event.id);
    if (log.order.length > this.window) log.seen.delete(log.order.shift()!);
    log.lastId = event.id;
    return true;
  }
}
