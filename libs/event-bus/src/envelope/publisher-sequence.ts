import { randomBytes } from 'node:crypto';

/** Types a publisher numbers before it starts over under a new publisher id. */
const MAX_TYPES_PER_PUBLISHER = 10_000;
/** Publishers a subscriber remembers; past that, the one heard first is forgotten. */
const MAX_PUBLISHERS_TRACKED = 1024;

const PUBLISHER_ID = /^[0-9a-f]{16}$/;

/**
 * The publishing side of gap counting: every event carries `metadata.publisherId` (random per bus
 * instance) and `metadata.seq` (1, 2, 3… per publisher and event type). A fan-out subscriber gets
 * every event of a type it listens to, in order, so a jump in `seq` is the exact number of events it
 * missed (see `GapCounter`).
 */
export class PublisherSequence {
  private publisherId = newPublisherId();
  private readonly next = new Map<string, number>();

  get id(): string {
    return this.publisherId;
  }

  /** The sequence number of the next event of `type`. */
  take(type: string): number {
    const seq = (this.next.get(type) ?? 0) + 1;
    if (seq === 1 && this.next.size >= MAX_TYPES_PER_PUBLISHER) {
      // NOTE: a new id, not a reset to 1 under the old one: subscribers must never see a number go back.
      this.publisherId = newPublisherId();
      this.next.clear();
    }
    this.next.set(type, seq);
    return seq;
  }

  /** Gives back the number just taken for `type` (the publish was refused before anything was sent). */
  giveBack(type: string, seq: number): void {
    if (this.next.get(type) === seq) this.next.set(type, seq - 1);
  }
}

/**
 * The subscribing side: remembers the last `seq` heard per publisher and type, and tells how many
 * events a jump skipped. Events of publishers or types heard for the first time, foreign messages
 * without the fields, and numbers that do not go forward (a duplicate) count nothing.
 */
export class GapCounter {
  private readonly publishers = new Map<string, Map<string, number>>();

  /** Events missed before this one: 0 unless its `seq` jumped. */
  observe(type: string, publisherId: unknown, seq: unknown): number {
    if (
      typeof publisherId !== 'string' ||
      !Number.isSafeInteger(seq) ||
      (seq as number) < 1
    )
      return 0;
    let types = this.publishers.get(publisherId);
    if (types === undefined) {
      if (!PUBLISHER_ID.test(publisherId)) return 0;
      if (this.publishers.size >= MAX_PUBLISHERS_TRACKED)
        this.publishers.delete(this.publishers.keys().next().value!);
      types = new Map();
      this.publishers.set(publisherId, types);
    }
    const last = types.get(type);
    if (last !== undefined && (seq as number) <= last) return 0;
    if (last === undefined && types.size >= MAX_TYPES_PER_PUBLISHER)
      types.clear();
    types.set(type, seq as number);
    return last === undefined ? 0 : (seq as number) - last - 1;
  }

  /** Forgets everything: the subscriptions changed, so a jump no longer means a loss. */
  reset(): void {
    this.publishers.clear();
  }
}

function newPublisherId(): string {
  return randomBytes(8).toString('hex');
}
