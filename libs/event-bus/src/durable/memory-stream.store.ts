import { compareEntryIds } from './entry-ids.js';
import { parseJsonWithinDepth } from '../envelope/json-depth.js';
import { MAX_DEPTH_CEILING } from '../event-bus.constants.js';
import type {
  ClaimedEntry,
  DeadLetter,
  DeadLetterInfo,
  GroupLag,
  StreamDescription,
  StreamEntry,
  StreamStore,
  TrimPolicy,
} from './stream-store.interface.js';

interface PendingEntry {
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}

interface Group {
  /** Sequence number of the last entry delivered to the group. */
  lastSeq: number;
  pending: Map<string, PendingEntry>;
  /** Consumer → its last read (ms), for `describe`. */
  consumers: Map<string, number>;
}

interface Stream {
  entries: Array<StreamEntry & { seq: number; at: number }>;
  groups: Map<string, Group>;
  dead: DeadLetter[];
  waiters: Set<() => void>;
}

/** `<ms>-<seq>` ids like Redis; `seq` orders entries within the process. */
function parseStart(startId: string): number {
  return startId === '$'
    ? Number.POSITIVE_INFINITY
    : Number(startId.split('-')[0]);
}

/**
 * Durable delivery inside one process, with the semantics of the Redis store:
 * groups with their own position, pending entries until acked, reclaiming by idle
 * time with delivery counts, dead letters. It lives and dies with the process.
 */
export class MemoryStreamStore implements StreamStore {
  private readonly streamsByName = new Map<string, Stream>();
  private readonly registry = new Map<string, number>();
  private readonly groupsRegistry = new Map<string, number>();
  private readonly done = new Map<string, number>();
  private readonly listeners: Array<() => void> = [];
  private seq = 0;
  private deadSeq = 0;
  private closed = false;

  constructor(
    private readonly trim: TrimPolicy,
    private readonly deadLetterMaxLength: number,
  ) {}

  private stream(name: string): Stream {
    let stream = this.streamsByName.get(name);
    if (!stream) {
      stream = { entries: [], groups: new Map(), dead: [], waiters: new Set() };
      this.streamsByName.set(name, stream);
      // As the Redis store announces a stream's first event, for wildcard consumers.
      queueMicrotask(() => this.listeners.forEach(listener => listener()));
    }
    return stream;
  }

  async append(
    name: string,
    payload: string,
    targetGroup?: string,
  ): Promise<string> {
    const stream = this.stream(name);
    const at = Date.now();
    const seq = ++this.seq;
    const id = `${at}-${seq}`;
    stream.entries.push(
      targetGroup
        ? { id, payload, targetGroup, seq, at }
        : { id, payload, seq, at },
    );
    if (this.trim.strategy === 'maxlen') {
      const excess = stream.entries.length - this.trim.maxLength;
      if (excess > 0) stream.entries.splice(0, excess);
    } else {
      const minAt = at - this.trim.maxAgeMs;
      while (stream.entries.length && stream.entries[0].at < minAt)
        stream.entries.shift();
    }
    for (const wake of stream.waiters) wake();
    stream.waiters.clear();
    return id;
  }

  async ensureGroup(
    name: string,
    group: string,
    startId: string,
  ): Promise<void> {
    const stream = this.stream(name);
    if (stream.groups.has(group)) return;
    const startMs = parseStart(startId);
    // Entries at or before the start are considered delivered already.
    let lastSeq = startMs === Number.POSITIVE_INFINITY ? this.seq : 0;
    if (startMs !== Number.POSITIVE_INFINITY && startMs > 0) {
      for (const entry of stream.entries)
        if (entry.at < startMs) lastSeq = entry.seq;
    }
    stream.groups.set(group, {
      lastSeq,
      pending: new Map(),
      consumers: new Map(),
    });
  }

  async read(
    name: string,
    groupName: string,
    consumer: string,
    count: number,
    blockMs: number,
  ): Promise<StreamEntry[]> {
    const stream = this.stream(name);
    const deadline = Date.now() + blockMs;
    for (;;) {
      const group = stream.groups.get(groupName);
      if (!group || this.closed) return [];
      group.consumers.set(consumer, Date.now());
      const fresh = stream.entries
        .filter(e => e.seq > group.lastSeq)
        .slice(0, count);
      if (fresh.length) {
        const now = Date.now();
        for (const entry of fresh) {
          group.pending.set(entry.id, {
            consumer,
            deliveredAt: now,
            deliveries: 1,
          });
          group.lastSeq = entry.seq;
        }
        return fresh.map(({ id, payload, targetGroup }) =>
          targetGroup ? { id, payload, targetGroup } : { id, payload },
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await new Promise<void>(resolve => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          stream.waiters.delete(done);
          resolve();
        }
        stream.waiters.add(done);
      });
    }
  }

  async ack(name: string, group: string, ids: string[]): Promise<void> {
    const pending = this.stream(name).groups.get(group)?.pending;
    for (const id of ids) pending?.delete(id);
  }

  async claimIdle(
    name: string,
    groupName: string,
    consumer: string,
    minIdleMs: number,
    count: number,
  ): Promise<ClaimedEntry[]> {
    const stream = this.stream(name);
    const group = stream.groups.get(groupName);
    if (!group) return [];
    const now = Date.now();
    const claimed: ClaimedEntry[] = [];
    for (const [id, pending] of group.pending) {
      if (claimed.length >= count) break;
      if (now - pending.deliveredAt < minIdleMs) continue;
      const entry = stream.entries.find(e => e.id === id);
      if (!entry) {
        // Trimmed away while pending, as XAUTOCLAIM reports deleted ids.
        group.pending.delete(id);
        continue;
      }
      pending.consumer = consumer;
      pending.deliveredAt = now;
      pending.deliveries++;
      claimed.push({
        id,
        payload: entry.payload,
        targetGroup: entry.targetGroup,
        deliveries: pending.deliveries,
      });
    }
    return claimed;
  }

  async touch(
    name: string,
    group: string,
    consumer: string,
    ids: string[],
  ): Promise<void> {
    const pending = this.stream(name).groups.get(group)?.pending;
    const now = Date.now();
    for (const id of ids) {
      const entry = pending?.get(id);
      if (entry) {
        entry.consumer = consumer;
        entry.deliveredAt = now;
      }
    }
  }

  async removeIdleConsumers(): Promise<string[]> {
    // Consumers here live and die with this process and its store: none is ever left behind.
    return [];
  }

  async deadLetter(
    name: string,
    entry: StreamEntry,
    info: DeadLetterInfo,
  ): Promise<void> {
    const stream = this.stream(name);
    // A malformed entry (not JSON, or nested too deep) keeps its raw payload and has no id or type.
    const parsed = parseJsonWithinDepth(
      entry.payload,
      MAX_DEPTH_CEILING + 1,
    ) as { id?: unknown; type?: unknown } | null | undefined;
    const eventId = typeof parsed?.id === 'string' ? parsed.id : undefined;
    const type = typeof parsed?.type === 'string' ? parsed.type : undefined;
    stream.dead.push({
      ...info,
      id: `${Date.now()}-${++this.deadSeq}`,
      stream: name,
      entryId: entry.id,
      eventId,
      type,
      payload: entry.payload,
    });
    if (stream.dead.length > this.deadLetterMaxLength) stream.dead.shift();
    await this.ack(name, info.group, [entry.id]);
  }

  async isDone(name: string, group: string, key: string): Promise<boolean> {
    const expires = this.done.get(`${name}\u0000${group}\u0000${key}`);
    return expires !== undefined && expires > Date.now();
  }

  async ackAndMarkDone(
    name: string,
    group: string,
    id: string,
    key: string,
    windowMs: number,
  ): Promise<void> {
    await this.ack(name, group, [id]);
    const now = Date.now();
    this.done.set(`${name}\u0000${group}\u0000${key}`, now + windowMs);
    // Expire old marks now and then, so the map stays bounded by the window.
    if (this.done.size > 10_000)
      for (const [k, at] of this.done) if (at <= now) this.done.delete(k);
  }

  async registerPattern(pattern: string, group: string): Promise<number> {
    if (!this.groupsRegistry.has(group))
      this.groupsRegistry.set(group, Date.now());
    if (!this.registry.has(pattern)) {
      this.registry.set(pattern, Date.now());
      for (const listener of this.listeners) listener();
    }
    return this.groupsRegistry.get(group)!;
  }

  async patterns(): Promise<Map<string, number>> {
    return new Map(this.registry);
  }

  async streams(): Promise<string[]> {
    return [...this.streamsByName.keys()];
  }

  onPatternsChanged(listener: () => void): void {
    this.listeners.push(listener);
  }

  async lag(name: string, groupName: string): Promise<GroupLag> {
    const stream = this.streamsByName.get(name);
    const group = stream?.groups.get(groupName);
    if (!stream || !group)
      return { stream: name, group: groupName, pending: 0, lag: 0 };
    return {
      stream: name,
      group: groupName,
      pending: group.pending.size,
      lag: stream.entries.filter(e => e.seq > group.lastSeq).length,
    };
  }

  async describe(name: string): Promise<StreamDescription> {
    const stream = this.streamsByName.get(name);
    if (!stream) return { stream: name, length: 0, deadLetters: 0, groups: [] };
    const now = Date.now();
    const groups = await Promise.all(
      [...stream.groups].map(async ([group, { pending, consumers }]) => ({
        ...(await this.lag(name, group)),
        consumers: [...consumers].map(([consumer, readAt]) => ({
          name: consumer,
          pending: [...pending.values()].filter(p => p.consumer === consumer)
            .length,
          idleMs: now - readAt,
        })),
      })),
    );
    return {
      stream: name,
      length: stream.entries.length,
      deadLetters: stream.dead.length,
      groups,
    };
  }

  async listDeadLetters({
    stream,
    count = 100,
    after,
  }: {
    stream?: string;
    count?: number;
    after?: string;
  }): Promise<DeadLetter[]> {
    const names = stream ? [stream] : [...this.streamsByName.keys()];
    return names
      .flatMap(name => this.streamsByName.get(name)?.dead ?? [])
      .filter(
        letter => after === undefined || compareEntryIds(letter.id, after) > 0,
      )
      .sort((a, b) => compareEntryIds(a.id, b.id))
      .slice(0, count);
  }

  async countDeadLetters(stream?: string): Promise<number> {
    const names = stream ? [stream] : [...this.streamsByName.keys()];
    return names.reduce(
      (sum, name) => sum + (this.streamsByName.get(name)?.dead.length ?? 0),
      0,
    );
  }

  async getDeadLetter(
    name: string,
    id: string,
  ): Promise<DeadLetter | undefined> {
    return this.streamsByName.get(name)?.dead.find(d => d.id === id);
  }

  async deleteDeadLetter(name: string, id: string): Promise<boolean> {
    const dead = this.streamsByName.get(name)?.dead;
    const index = dead?.findIndex(d => d.id === id) ?? -1;
    if (!dead || index < 0) return false;
    dead.splice(index, 1);
    return true;
  }

  async purgeDeadLetters(stream?: string): Promise<number> {
    const names = stream ? [stream] : [...this.streamsByName.keys()];
    let total = 0;
    for (const name of names) {
      const s = this.streamsByName.get(name);
      if (!s) continue;
      total += s.dead.length;
      s.dead = [];
    }
    return total;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const stream of this.streamsByName.values()) {
      for (const wake of stream.waiters) wake();
      stream.waiters.clear();
    }
  }
}
