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
export function encodeFrame(
  payloads: readonly string[],
  maxBytes = Number.MAX_SAFE_INTEGER,
): string | Buffer {
  const writer = new FrameWriter(maxBytes);
  for (const payload of payloads) writer.add(payload);
  return writer.finish();
}

/**
 * Builds one frame, event by event. A small frame is kept as its strings and
 * sent as one joined string: while the frame's UTF-16 length times 3 (UTF-8's
 * most per unit) is within `maxBytes`, no byte needs counting, and nothing is
 * allocated outside the V8 heap. A frame that grows past that (a burst, a high
 * rate) moves into one Buffer of `maxBytes`, and each further envelope is
 * encoded straight into it, which also gives its exact size: the frame then
 * waits for its reply (ioredis keeps a command's arguments until then) outside
 * the heap, so a scavenge while large frames are in flight neither copies nor
 * promotes them. A lone event stays the string it was (see `finish`).
 */
export class FrameWriter {
  private readonly parts: string[] = [];
  /** UTF-16 units of the parts, markers included, while they are strings. */
  private units = 0;
  private buffer?: Buffer;
  /** Bytes written into `buffer`. */
  private at = 0;
  /** Events in the frame. */
  count = 0;

  /** @param maxBytes the frame's size at most, markers included */
  constructor(private readonly maxBytes: number) {}

  /** Appends one envelope; false (nothing appended) when the frame would pass maxBytes. A first one always fits. */
  add(payload: string): boolean {
    if (this.buffer === undefined) {
      const units = this.units + payload.length + 1;
      if (this.count === 0 || units * 3 <= this.maxBytes) {
        this.parts.push(payload);
        this.units = units;
        this.count++;
        return true;
      }
      if (!this.moveToBuffer()) return false;
    }
    if (!this.append(payload)) return false;
    this.count++;
    return true;
  }

  /** The message to PUBLISH: the frame, or the lone envelope itself. */
  finish(): string | Buffer {
    if (this.buffer !== undefined) return this.buffer.subarray(0, this.at);
    if (this.parts.length === 1) return this.parts[0];
    return FRAME_MARKER + this.parts.join(FRAME_MARKER);
  }

  /** False when the first envelope alone passes maxBytes: it goes unframed, and the next one starts a frame. */
  private moveToBuffer(): boolean {
    if (
      this.count === 1 &&
      Buffer.byteLength(this.parts[0]) + 1 > this.maxBytes
    )
      return false;
    this.buffer = Buffer.allocUnsafe(this.maxBytes);
    for (const part of this.parts) this.append(part);
    this.parts.length = 0;
    return true;
  }

  private append(payload: string): boolean {
    const buffer = this.buffer!;
    // Within UTF-8's bound of 3 bytes per UTF-16 unit no count is needed.
    if (
      this.at + payload.length * 3 + 1 > this.maxBytes &&
      this.at + Buffer.byteLength(payload) + 1 > this.maxBytes
    )
      return false;
    buffer[this.at++] = MARKER_CODE;
    this.at += buffer.write(payload, this.at);
    return true;
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
