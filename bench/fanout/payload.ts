/**
 * The 1 KB event of the benches, the same for the bus and every baseline: an
 * object whose JSON form is exactly PAYLOAD_BYTES bytes (ASCII), made fresh for
 * every publish as an application would; `makeStampedData` adds the creation
 * time (`sentAt`), where latency starts, and keeps it at 1 KB.
 */
import { now } from '../lib/ipc.js';

export const PAYLOAD_BYTES = 1024;

/** Event type the bus publishes; its channel is CHANNEL. */
export const EVENT_TYPE = 'bench.tick';
/** Handler pattern of the bus (`@OnEvent`). */
export const EVENT_PATTERN = 'bench.*';
/**
 * Raw ioredis uses the very channel and glob the bus uses (default prefix
 * `eventbus:`), so Redis does the same pattern matching for both.
 */
export const CHANNEL = `eventbus:${EVENT_TYPE}`;
export const CHANNEL_GLOB = 'eventbus:bench.*';

export interface BenchData {
  seq: string;
  photoId: string;
  userId: string;
  filename: string;
  mimeType: string;
  size: number;
  tags: string[];
  note: string;
}

const TEMPLATE: Omit<BenchData, 'seq' | 'note'> = {
  photoId: 'photo-7f3c2a9e-51b4-4c8e-9d2a-0b6e4f1a8c37',
  userId: 'user-42',
  filename: 'IMG_20240611_181512.jpg',
  mimeType: 'image/jpeg',
  size: 3_481_622,
  tags: ['holiday', 'beach', 'sunset'],
};

const SEQ_WIDTH = 9;
const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ';

const emptyNote = JSON.stringify({
  seq: '0'.repeat(SEQ_WIDTH),
  ...TEMPLATE,
  note: '',
}).length;
const NOTE = LOREM.repeat(Math.ceil(PAYLOAD_BYTES / LOREM.length)).slice(
  0,
  PAYLOAD_BYTES - emptyNote,
);

/** The data of event number `seq` (JSON: exactly PAYLOAD_BYTES bytes). */
export function makeData(seq: number): BenchData {
  return { seq: String(seq).padStart(SEQ_WIDTH, '0'), ...TEMPLATE, note: NOTE };
}

if (Buffer.byteLength(JSON.stringify(makeData(1))) !== PAYLOAD_BYTES) {
  throw new Error(
    `bench payload is ${Buffer.byteLength(JSON.stringify(makeData(1)))} bytes, not ${PAYLOAD_BYTES}`,
  );
}

/** `now()` with 3 decimals (1 µs) as 17 characters: fixed width keeps the JSON at PAYLOAD_BYTES. */
const SENT_AT_WIDTH = 17;

/** The bench data with `sentAt`, the wall-clock ms at its creation; `note` is shortened to keep 1 KB. */
export type StampedData = BenchData & { sentAt: string };

const STAMPED_NOTE = NOTE.slice(
  0,
  PAYLOAD_BYTES -
    JSON.stringify({
      ...makeData(0),
      note: '',
      sentAt: '0'.repeat(SENT_AT_WIDTH),
    }).length,
);

/** The data of event `seq`, stamped now: its creation is where latency starts. */
export function makeStampedData(seq: number): StampedData {
  return { ...makeData(seq), note: STAMPED_NOTE, sentAt: now().toFixed(3) };
}

if (Buffer.byteLength(JSON.stringify(makeStampedData(1))) !== PAYLOAD_BYTES) {
  throw new Error(
    `stamped bench payload is ${Buffer.byteLength(JSON.stringify(makeStampedData(1)))} bytes, not ${PAYLOAD_BYTES}`,
  );
}
