import { randomFillSync } from 'node:crypto';

// Crockford base32, as in the ULID spec: sortable as plain strings.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const POOL_SIZE = 16 * 1024;

let pool = Buffer.allocUnsafe(0);
let poolOffset = 0;
let lastTime = -1;

/** Hands out `length` fresh random bytes of the pool; returns where they start. */
function takeRandom(length: number): number {
  // NOTE: one syscall per 1,600 ids instead of one per id.
  if (poolOffset + length > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_SIZE));
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += length;
  return start;
}

/**
 * A new trace id: 128 random bits as 32 hex characters (the W3C trace-context
 * format), read straight from the pooled randomness of event ids, so a publish
 * outside a handler allocates nothing but the string.
 */
export function createTraceId(): string {
  const start = takeRandom(16);
  return pool.toString('hex', start, start + 16);
}

/** Base32 digits (0–31) of the last id: 10 of time, then 16 of randomness. */
const digits = new Uint8Array(26);
/** The last id's first 25 characters; most ids differ from the last one in the 26th only. */
let prefix = '';

function rebuildPrefix(): void {
  let out = '';
  for (let i = 0; i < 25; i++) out += ALPHABET[digits[i]];
  prefix = out;
}

/**
 * A new ULID: 48 bits of milliseconds and 80 random bits, 26 characters.
 * Ids made in the same millisecond by this process increase monotonically
 * (the random part plus one), so string order is creation order within a
 * process and time order across them.
 */
export function createEventId(now: number = Date.now()): string {
  // NOTE: on the hot path: in the same millisecond the id is the cached prefix plus one
  // character, instead of 26 characters encoded (and as many strings allocated) each time.
  if (now <= lastTime) {
    let i = 25;
    while (i >= 10 && digits[i] === 31) digits[i--] = 0;
    // 80 bits of randomness exhausted within one millisecond: wraps around (never in practice).
    if (i >= 10) digits[i]++;
    if (i < 25) rebuildPrefix();
  } else {
    lastTime = now;
    let time = now;
    for (let i = 9; i >= 0; i--) {
      digits[i] = time % 32;
      time = Math.floor(time / 32);
    }
    // 80 random bits → 16 digits of 5 bits each.
    const start = takeRandom(10);
    let buffer = 0;
    let bits = 0;
    let at = 10;
    for (let b = start; b < start + 10; b++) {
      buffer = (buffer << 8) | pool[b];
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        digits[at++] = (buffer >> bits) & 31;
      }
      buffer &= (1 << bits) - 1;
    }
    rebuildPrefix();
  }
  return prefix + ALPHABET[digits[25]];
}

/** Milliseconds since the epoch encoded in a ULID, or NaN when it is not one. */
export function eventIdTime(id: string): number {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) return NaN;
  let time = 0;
  for (let i = 0; i < 10; i++) time = time * 32 + ALPHABET.indexOf(id[i]);
  return time;
}
