/**
 * The storage under delayed publishes and schedules: Redis (sorted sets and
 * hashes beside each stream, moved by Lua scripts) or memory with the same
 * semantics. Keys are per stream segment (the first segment of the type), so
 * that on Redis Cluster a due entry, its stream and its schedule share a slot
 * and one script moves them.
 */

/** A delayed event waiting in the store. */
export interface DelayedEntry {
  /** `<type>\n<serialized envelope>`: unique, since the envelope holds the event id. */
  member: string;
  dueMs: number;
}

/** One due entry to move: published on `type`'s channel, and appended to the stream when `durable`. */
export interface MoveEntry {
  member: string;
  type: string;
  payload: string;
  durable: boolean;
}

/** A schedule as stored: the record is JSON (`ScheduleRecord`), compared whole when firing. */
export interface StoredSchedule {
  name: string;
  segment: string;
  record: string;
}

/** What a schedule's stored JSON holds. */
export interface ScheduleRecord {
  type: string;
  data: unknown;
  every?: number;
  cron?: string;
  tz?: string;
  nextDueMs: number;
}

/** One schedule fire: `expected` must still be the stored record, then `next` replaces it and the event goes out. */
export interface ScheduleFire {
  segment: string;
  name: string;
  expected: string;
  next: string;
  type: string;
  payload: string;
  durable: boolean;
}

export interface ScheduleStore {
  /** Stores a delayed event of stream `segment`, due at `dueMs`. */
  addDelayed(segment: string, dueMs: number, member: string): Promise<void>;
  /** Segments that have held delayed events or schedules. */
  segments(): Promise<string[]>;
  /** Up to `limit` entries of `segment` due at `nowMs` or before, earliest first. */
  due(segment: string, nowMs: number, limit: number): Promise<DelayedEntry[]>;
  /**
   * Moves each entry still stored out of the store and publishes it (and appends it to its stream),
   * atomically per entry: of two instances racing, one moves it. Resolves which were moved here.
   */
  move(segment: string, entries: MoveEntry[]): Promise<boolean[]>;
  /** Delayed events waiting. */
  countDelayed(): Promise<number>;
  /** Takes or renews the movers' lease for `ttlMs`; false when another owner holds it. */
  acquireLease(owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it. */
  releaseLease(owner: string): Promise<void>;
  /** Creates or replaces a schedule (and removes it from another segment it was under). */
  putSchedule(schedule: StoredSchedule): Promise<void>;
  getSchedule(name: string): Promise<StoredSchedule | undefined>;
  listSchedules(): Promise<StoredSchedule[]>;
  /** Resolves false when there was no such schedule. */
  removeSchedule(name: string): Promise<boolean>;
  /** Fires a schedule once per due time: false when its record changed (fired elsewhere, updated, cancelled). */
  fire(fire: ScheduleFire): Promise<boolean>;
  close(): Promise<void>;
}
