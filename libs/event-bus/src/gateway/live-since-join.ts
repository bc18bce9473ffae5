/** What is kept of one socket's join of one room. */
interface RoomWatch {
  /** Sequence number, in its room's log, of the first live event after the join. */
  from: number;
  /** When the socket joined (ms). */
  at: number;
  /** Ids it got there at the join itself (what a replay sent). */
  initial?: Set<string>;
}

/** The rooms one socket joined in the last `ttlMs`. */
interface SocketWatch {
  /** Its latest join (ms): orders the sockets for expiry. */
  at: number;
  rooms: Map<string, RoomWatch>;
}

/** The live events of one room since the first of its recent joins. */
interface RoomLog {
  /** The latest join of the room (ms): orders the rooms for expiry. */
  joinedAt: number;
  /** Sequence number of `ids[0]`. */
  start: number;
  /** Entries before `head` are expired (dropped in bulk, not one by one). */
  head: number;
  ids: string[];
  ats: number[];
}

/** Expired entries of a room log are dropped once there are this many and they are most of it. */
const COMPACT_AFTER = 256;

/**
 * The ids of the live events each socket got in a room since it joined, for
 * `ttlMs` after the join (at most `maxIds` per socket and room), so that a
 * `subscribe` with `lastEventId` into a room it is already in replays none of
 * them again.
 *
 * Per room a log of its live events, kept while some socket joined it within
 * `ttlMs`; per socket the log position of each join. The ids of one socket and
 * room are put together only when asked for (a recovery). So an event costs
 * one log entry whatever the number of sockets that just joined, and a join
 * costs no set and no timer: after a reconnect storm (thousands of sockets
 * joining their own rooms and a shared one at once), a set of ids per socket
 * and room filled on every event cost an insert per socket and event, and a
 * timer and a set per socket and room.
 */
export class LiveSinceJoin {
  /** socket id → its joins; in the order of each socket's latest join. */
  private readonly sockets = new Map<string, SocketWatch>();
  /** room → its log; in the order of each room's latest join. */
  private readonly rooms = new Map<string, RoomLog>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxIds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** `socketId` joined `room` now, having got `initial` there at the join. */
  joined(room: string, socketId: string, initial?: Set<string>): void {
    const at = this.now();
    this.expire(at);
    let log = this.rooms.get(room);
    if (log) this.rooms.delete(room);
    else log = { joinedAt: at, start: 0, head: 0, ids: [], ats: [] };
    log.joinedAt = at;
    // Re-inserted, here and below: the maps stay ordered by latest join.
    this.rooms.set(room, log);
    let watch = this.sockets.get(socketId);
    if (watch) this.sockets.delete(socketId);
    else watch = { at, rooms: new Map() };
    watch.at = at;
    this.sockets.set(socketId, watch);
    watch.rooms.set(room, {
      from: log.start + log.ids.length,
      at,
      initial: initial && initial.size > 0 ? new Set(initial) : undefined,
    });
  }

  /** A live event `id` went to `room`. */
  delivered(room: string, id: string): void {
    const log = this.rooms.get(room);
    if (!log) return;
    const at = this.now();
    const oldest = at - this.ttlMs;
    if (log.joinedAt < oldest) {
      this.expire(at);
      return;
    }
    log.ids.push(id);
    log.ats.push(at);
    // Entries older than ttlMs came before every join of the room still kept.
    while (log.ats[log.head] < oldest) log.head++;
    if (log.head >= COMPACT_AFTER && log.head * 2 >= log.ids.length) {
      log.ids = log.ids.slice(log.head);
      log.ats = log.ats.slice(log.head);
      log.start += log.head;
      log.head = 0;
    }
  }

  /** Ids of the live events `socketId` got in `room` since it joined; undefined once that is over `ttlMs` ago. */
  seen(room: string, socketId: string): Set<string> | undefined {
    const watch = this.sockets.get(socketId)?.rooms.get(room);
    if (!watch || this.now() - watch.at > this.ttlMs) return undefined;
    const ids = new Set(watch.initial);
    const log = this.rooms.get(room);
    if (!log) return ids;
    for (
      let i = Math.max(log.head, watch.from - log.start);
      i < log.ids.length && ids.size < this.maxIds;
      i++
    )
      ids.add(log.ids[i]);
    return ids;
  }

  /** `socketId` left `room`. */
  left(room: string, socketId: string): void {
    const watch = this.sockets.get(socketId);
    if (!watch) return;
    watch.rooms.delete(room);
    if (watch.rooms.size === 0) this.sockets.delete(socketId);
  }

  /** `socketId` disconnected. */
  gone(socketId: string): void {
    this.sockets.delete(socketId);
  }

  /** Drops the sockets and rooms whose latest join is over `ttlMs` ago. */
  private expire(at: number): void {
    const oldest = at - this.ttlMs;
    for (const [socketId, watch] of this.sockets) {
      if (watch.at >= oldest) break;
      this.sockets.delete(socketId);
    }
    for (const [room, log] of this.rooms) {
      if (log.joinedAt >= oldest) break;
      this.rooms.delete(room);
    }
  }
}
