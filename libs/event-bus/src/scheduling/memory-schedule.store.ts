import type {
  DelayedEntry,
  MoveEntry,
  ScheduleFire,
  ScheduleStore,
  StoredSchedule,
} from './schedule-store.interface.js';

/** Publishes a serialized event on its type's route (the memory transport's `publish`). */
type Publish = (type: string, payload: string) => Promise<unknown>;
/** Appends a serialized event to a durable stream (the memory stream store's `append`). */
type Append = (segment: string, payload: string) => Promise<unknown>;

/**
 * The schedule store of the memory transport: one process, so the lease is
 * always granted and each move is atomic by running in one turn of the event
 * loop, as the Redis scripts are on the server.
 */
export class MemoryScheduleStore implements ScheduleStore {
  /** Per segment: member → due ms. */
  private readonly delayed = new Map<string, Map<string, number>>();
  private readonly schedules = new Map<string, StoredSchedule>();

  constructor(
    private readonly publish: Publish,
    private readonly append: Append,
  ) {}

  addDelayed(segment: string, dueMs: number, member: string): Promise<void> {
    let entries = this.delayed.get(segment);
    if (!entries) this.delayed.set(segment, (entries = new Map()));
    entries.set(member, dueMs);
    return Promise.resolve();
  }

  segments(): Promise<string[]> {
    const segments = new Set(this.delayed.keys());
    for (const schedule of this.schedules.values())
      segments.add(schedule.segment);
    return Promise.resolve([...segments]);
  }

  due(segment: string, nowMs: number, limit: number): Promise<DelayedEntry[]> {
    const out: DelayedEntry[] = [];
    for (const [member, dueMs] of this.delayed.get(segment) ?? [])
      if (dueMs <= nowMs) out.push({ member, dueMs });
    // NOTE: Redis orders equal scores by member; here the order of insertion breaks ties (the publish order).
    out.sort((a, b) => a.dueMs - b.dueMs);
    return Promise.resolve(out.slice(0, limit));
  }

  move(segment: string, entries: MoveEntry[]): Promise<boolean[]> {
    const stored = this.delayed.get(segment);
    const moved = entries.map(entry => {
      if (!stored?.delete(entry.member)) return false;
      this.send(segment, entry.type, entry.payload, entry.durable);
      return true;
    });
    return Promise.resolve(moved);
  }

  countDelayed(): Promise<number> {
    let count = 0;
    for (const entries of this.delayed.values()) count += entries.size;
    return Promise.resolve(count);
  }

  acquireLease(): Promise<boolean> {
    return Promise.resolve(true);
  }

  releaseLease(): Promise<void> {
    return Promise.resolve();
  }

  putSchedule(schedule: StoredSchedule): Promise<void> {
    this.schedules.set(schedule.name, { ...schedule });
    return Promise.resolve();
  }

  getSchedule(name: string): Promise<StoredSchedule | undefined> {
    const schedule = this.schedules.get(name);
    return Promise.resolve(schedule && { ...schedule });
  }

  listSchedules(): Promise<StoredSchedule[]> {
    return Promise.resolve([...this.schedules.values()].map(s => ({ ...s })));
  }

  removeSchedule(name: string): Promise<boolean> {
    return Promise.resolve(this.schedules.delete(name));
  }

  fire(fire: ScheduleFire): Promise<boolean> {
    const schedule = this.schedules.get(fire.name);
    if (schedule?.record !== fire.expected) return Promise.resolve(false);
    schedule.record = fire.next;
    this.send(fire.segment, fire.type, fire.payload, fire.durable);
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private send(
    segment: string,
    type: string,
    payload: string,
    durable: boolean,
  ): void {
    // The stream first, as a normal publish: a subscriber that hears the event finds it stored.
    if (durable) void this.append(segment, payload).catch(() => undefined);
    void this.publish(type, payload).catch(() => undefined);
  }
}
