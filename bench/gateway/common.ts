/**
 * What the gateway bench's children share: the room, the event, the JWT
 * secret, the 1 KB data with its send time, and a small latency histogram
 * that client processes fill and the runner merges.
 */
import { makeData, type BenchData } from '../fanout/payload.js';

/** The one room every socket joins. */
export const ROOM = 'bench-room';
/** Event type on the bus, and so the socket.io event name both sides emit. */
export const EVENT_TYPE = 'bench.tick';
/** HS256 secret of the handshake tokens (both servers verify with @nestjs/jwt). */
export const JWT_SECRET = 'gateway-bench-secret-with-enough-length-0123456789';

/** Both servers accept `subscribe` to this room only. */
export function canJoin(room: unknown): boolean {
  return room === ROOM;
}

/** `data` of a bench event: the fan-out bench's 1 KB record plus where and when it was sent. */
export interface GatewayBenchData extends BenchData {
  /** Phase number (the runner's step), so receipts are counted per phase. */
  phase: number;
  /** Quarter of its phase (0-3) the event was sent in: latency early vs late in a step. */
  q: number;
  /** Send time, `performance.timeOrigin + performance.now()` of the publisher, in ms. */
  sentAt: number;
}

/** What a socket receives: the gateway's `ClientEvent`; the baseline emits the same shape. */
export interface BenchClientEvent {
  id: string;
  type: string;
  data: GatewayBenchData;
  timestamp: string;
  room: string;
}

// phase, q and sentAt add ~40 bytes: the note is shortened so that the data stays 1 KB.
const EXTRA =
  JSON.stringify({ phase: 0, q: 0, sentAt: 1.5e12 + 0.123 }).length - 1;
const NOTE = makeData(0).note.slice(EXTRA);

/** The data of one event (a fresh object per publish, ~1,024 bytes of JSON). */
export function makeEventData(
  phase: number,
  q: number,
  seq: number,
  sentAt: number,
): GatewayBenchData {
  return { ...makeData(seq), note: NOTE, phase, q, sentAt };
}

/** JSON size of one event's data, for the results. */
export const DATA_BYTES = Buffer.byteLength(
  JSON.stringify(makeEventData(1, 0, 1, 1_700_000_000_000.123)),
);

// ---------------------------------------------------------------------------
// Latency histogram: log buckets of 2 % on microseconds, 1 µs to ~ 2,800 s.

const GROWTH = Math.log(1.02);
const BUCKETS = 1100;

/** A latency histogram (milliseconds in, percentiles out), cheap to fill and merge. */
export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  add(ms: number): void {
    const us = ms * 1000;
    const index =
      us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(us) / GROWTH));
    this.counts[index]++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** Sparse form for IPC: [bucket, count] pairs. */
  toJSON(): SerializedHistogram {
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++)
      if (this.counts[i] > 0) pairs.push([i, this.counts[i]]);
    return { pairs, count: this.count, sum: this.sum, max: this.max };
  }

  merge(other: SerializedHistogram): void {
    for (const [index, n] of other.pairs) this.counts[index] += n;
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  /** The value (ms) at quantile `q` (0-1): the upper edge of its bucket; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, Math.exp(i * GROWTH) / 1000);
    }
    return this.max;
  }

  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }
}

export interface SerializedHistogram {
  pairs: Array<[number, number]>;
  count: number;
  sum: number;
  max: number;
}
