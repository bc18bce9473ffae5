import { messages } from '../../event-bus.messages.js';

/**
 * The first character of a frame and of each of its records: 0x1E, ASCII
 * record separator (RFC 7464's JSON text sequences use it the same way). No
 * JSON text starts with it (JSON allows only space, tab, CR and LF before a
 * value) and none contains it (control characters inside JSON strings must be
 * escaped), so a message starting with it is never an envelope, and splitting a
 * frame at it never cuts one.
 */
export const FRAME_MARKER = '\u001e';
const MARKER_CODE = 0x1e;

/**
 * Wire format of a frame: `RS env1 RS env2 … RS envN` (RS = FRAME_MARKER, each
 * env the envelope's JSON exactly as it would travel alone, UTF-8), N >= 2. The
 * publisher never frames a lone event: it sends the plain envelope.
 */
export function encodeFrame(payloads: readonly string[]): string | Buffer {
  const writer = new FrameWriter(Number.MAX_SAFE_INTEGER);
  for (const payload of payloads) writer.add(payload);
  return writer.finish();
}

/** Bytes of the first buffer of a frame at least (it doubles as needed). */
const MIN_CAPACITY = 4096;

/**
 * Builds one frame, event by event, in a Buffer: each envelope is encoded
 * straight into it (one pass over its text, which also gives its exact size),
 * no joined string is made, and the frame waits for its reply (ioredis keeps a
 * command's arguments until then) outside the V8 heap, so a scavenge while
 * frames are in flight neither copies nor promotes it. A lone event stays the
 * string it was (see `finish`).
 */
export class FrameWriter {
  private first?: string;
  private buffer?: Buffer;
  private at = 0;
  /** Events in the frame. */
  count = 0;

  /**
   * @param maxBytes the frame's size at most
   * @param capacity bytes of its first buffer: the size the frame is expected to reach (the last one's, say)
   */
  constructor(
    private readonly maxBytes: number,
    private readonly capacity = MIN_CAPACITY,
  ) {}

  /** Bytes written so far (0 while the frame holds one event, kept as its string). */
  get bytes(): number {
    return this.at;
  }

  /** Appends one envelope; false (nothing appended) when the frame would pass maxBytes. A first one always fits. */
  add(payload: string): boolean {
    if (this.count === 0) {
      this.first = payload;
      this.count = 1;
      return true;
    }
    if (this.buffer === undefined) {
      const first = this.first!;
      this.buffer = Buffer.allocUnsafe(
        Math.min(
          this.maxBytes,
          Math.max(
            MIN_CAPACITY,
            this.capacity,
            2 * (first.length + payload.length + 2),
          ),
        ),
      );
      if (!this.append(first)) {
        // The first alone passes maxBytes: it goes unframed, and this one starts the next frame.
        this.buffer = undefined;
        return false;
      }
    }
    if (!this.append(payload)) return false;
    this.count++;
    return true;
  }

  /** The message to PUBLISH: the frame, or the lone envelope itself. */
  finish(): string | Buffer {
    if (this.buffer === undefined) return this.first ?? '';
    return this.buffer.subarray(0, this.at);
  }

  private append(payload: string): boolean {
    const buffer = this.buffer!;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: within that bound no count is needed.
    const bound = payload.length * 3 + 1;
    if (this.at + bound > buffer.length) {
      if (buffer.length < this.maxBytes) {
        this.grow(this.at + bound);
        return this.append(payload);
      }
      if (this.at + Buffer.byteLength(payload) + 1 > this.maxBytes)
        return false;
    }
    buffer[this.at++] = MARKER_CODE;
    this.at += buffer.write(payload, this.at);
    return true;
  }

  private grow(needed: number): void {
    const old = this.buffer!;
    const next = Buffer.allocUnsafe(
      Math.min(this.maxBytes, Math.max(needed, old.length * 2)),
    );
    old.copy(next, 0, 0, this.at);
    this.buffer = next;
  }
}

/** True when `message` is a frame rather than one envelope. */
export function isFrame(message: string): boolean {
  return message.charCodeAt(0) === MARKER_CODE;
}

/** A frame taken apart: its records in order, and what was wrong with it. */
export interface ReadFrame {
  /** The non-empty records, in the order they were published; each is checked like any message. */
  events: string[];
  /** Set when the frame had no event or empty records (those are skipped). */
  problem?: string;
}

/**
 * Splits a frame (`isFrame` was true) into its records. Never throws: records
 * are not parsed here (the router decodes and checks each like a message of
 * its own), and a frame with empty records gives the rest with a problem.
 */
export function readFrame(frame: string): ReadFrame {
  const records = frame.split(FRAME_MARKER);
  // records[0] is the empty text before the leading marker.
  const events: string[] = [];
  let empty = 0;
  for (let i = 1; i < records.length; i++) {
    if (records[i].length > 0) events.push(records[i]);
    else empty++;
  }
  if (empty === 0) return { events };
  return {
    events,
    problem: messages.malformedFrame(records.length - 1, empty),
  };
}
