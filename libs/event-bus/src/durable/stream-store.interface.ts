/**
 * The storage under durable delivery: Redis Streams with consumer groups, or the
 * memory store with the same semantics. The durable consumer and the dead-letter
 * service are written once against this interface.
 */

/** One entry read from a stream. */
export interface StreamEntry {
  /** Stream entry id (`<ms>-<seq>`), not the event id. */
  id: string;
  /** The serialized envelope. */
  payload: string;
  /** Set on replayed dead letters: only this group handles the entry, the others ack it. */
  targetGroup?: string;
  /**
   * Set when the entry cannot hold an event at all (no `e` field; `payload` is then empty): why.
   * The consumer dead-letters it like an undecodable payload.
   */
  malformed?: string;
}

/** An entry taken over from a consumer that stopped acknowledging it. */
export interface ClaimedEntry extends StreamEntry {
  /** How many times the entry has been delivered, this delivery included. */
  deliveries: number;
}

/** What a dead letter records about the failure. */
export interface DeadLetterInfo {
  group: string;
  handler: string;
  error: string;
  stack?: string;
  attempts: number;
  firstFailureAt: string;
  lastFailureAt: string;
}

/** A dead letter as operators see it. */
export interface DeadLetter extends DeadLetterInfo {
  /** Id of the dead-letter entry (use it to show, replay or purge). */
  id: string;
  /** The stream (first segment of the event type) it came from. */
  stream: string;
  /** The original stream entry id. */
  entryId: string;
  eventId?: string;
  type?: string;
  payload: string;
}

/** Pending and not-yet-delivered counts of one group on one stream. */
export interface GroupLag {
  stream: string;
  group: string;
  /** Delivered to a consumer, not yet acknowledged. */
  pending: number;
  /** In the stream, not yet delivered to the group (Redis 7 `lag`; null when Redis cannot tell). */
  lag: number | null;
}

/** One consumer of a group, as the admin dashboard shows it. */
export interface ConsumerInfo {
  name: string;
  /** Entries delivered to it, not yet acknowledged. */
  pending: number;
  /** Ms since its last read or claim. */
  idleMs: number;
}

/** A stream with its groups and consumers, for operators (the admin dashboard). */
export interface StreamDescription {
  stream: string;
  /** Entries kept in the stream (trimmed by the policy). */
  length: number;
  deadLetters: number;
  groups: Array<GroupLag & { consumers: ConsumerInfo[] }>;
}

/** Trimming policy of the event streams. */
export type TrimPolicy =
  | { strategy: 'maxlen'; maxLength: number }
  | { strategy: 'minid'; maxAgeMs: number };

export interface StreamStore {
  /** Appends a serialized event to a stream, trimming it by the policy. Returns the entry id. */
  append(
    stream: string,
    payload: string,
    targetGroup?: string,
  ): Promise<string>;
  /** Creates the group on the stream if missing, starting after `startId` (`0` for the beginning). */
  ensureGroup(stream: string, group: string, startId: string): Promise<void>;
  /** Reads up to `count` new entries for the consumer, waiting up to `blockMs` for some. */
  read(
    stream: string,
    group: string,
    consumer: string,
    count: number,
    blockMs: number,
  ): Promise<StreamEntry[]>;
  ack(stream: string, group: string, ids: string[]): Promise<void>;
  /** Takes over entries idle for at least `minIdleMs`, with their delivery counts. */
  claimIdle(
    stream: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    count: number,
  ): Promise<ClaimedEntry[]>;
  /** Resets the idle time of entries this consumer holds, so nobody reclaims them while they run. */
  touch(
    stream: string,
    group: string,
    consumer: string,
    ids: string[],
  ): Promise<void>;
  /**
   * Removes the group's consumers other than `keep` that have been idle for more than `idleMs`
   * and hold no pending entry (checked atomically with the removal, so no entry is dropped).
   * Resolves the names removed.
   */
  removeIdleConsumers(
    stream: string,
    group: string,
    idleMs: number,
    keep: string,
  ): Promise<string[]>;
  /** Adds a dead letter and acknowledges the entry, atomically. */
  deadLetter(
    stream: string,
    entry: StreamEntry,
    info: DeadLetterInfo,
  ): Promise<void>;
  /** True when the idempotency key was marked done for the group within its window. */
  isDone(stream: string, group: string, key: string): Promise<boolean>;
  /** Acknowledges the entry and marks the idempotency key done for `windowMs`, atomically. */
  ackAndMarkDone(
    stream: string,
    group: string,
    id: string,
    key: string,
    windowMs: number,
  ): Promise<void>;

  /**
   * Records a durable pattern for publishers and the group's first registration
   * time (the earliest wins), and tells other processes. Resolves that time: a
   * new group starts at events published after it.
   */
  registerPattern(pattern: string, group: string): Promise<number>;
  /** Every registered durable pattern with its registration time (ms). */
  patterns(): Promise<Map<string, number>>;
  /** Streams that have received durable events. */
  streams(): Promise<string[]>;
  /** Calls back when a process registers a pattern or a stream receives its first event. */
  onPatternsChanged(listener: () => void): void;

  lag(stream: string, group: string): Promise<GroupLag>;
  /** Length, every group (of any process) with lag and pending, and their consumers. */
  describe(stream: string): Promise<StreamDescription>;
  /** Dead letters oldest first; `after` (a dead letter id, exclusive) pages on. */
  listDeadLetters(options: {
    stream?: string;
    count?: number;
    after?: string;
  }): Promise<DeadLetter[]>;
  countDeadLetters(stream?: string): Promise<number>;
  /** One dead letter by id, or undefined. */
  getDeadLetter(stream: string, id: string): Promise<DeadLetter | undefined>;
  deleteDeadLetter(stream: string, id: string): Promise<boolean>;
  /** Deletes every dead letter (of one stream, or all); returns how many. */
  purgeDeadLetters(stream?: string): Promise<number>;

  /** Stops blocking reads and releases connections the store opened itself. */
  close(): Promise<void>;
}
