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
 *
 * Built as a Buffer, each envelope encoded straight into it: no joined string
 * is made, and the frame waits for its reply (ioredis keeps a command's
 * arguments until then) outside the V8 heap, so a scavenge while frames are in
 * flight neither copies nor promotes it.
 *
 * @param bytes the frame's size when the caller counted it: every envelope's UTF-8 bytes plus one per marker
 */
export function encodeFrame(
  payloads: readonly string[],
  bytes = payloads.reduce((sum, p) => sum + Buffer.byteLength(p) + 1, 0),
): Buffer {
  const frame = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const payload of payloads) {
    frame[at++] = MARKER_CODE;
    at += frame.write(payload, at);
  }
  return frame;
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
