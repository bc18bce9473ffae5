import { randomFillSync } from 'node:crypto';

// Crockford base32, as in the ULID spec: sortable as plain strings.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const POOL_SIZE = 16 * 1024;

let pool = Buffer.allocUnsafe(0);
let poolOffset = 0;
let lastTime = -1;
const lastRandom = new Uint8Array(10);

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

function fillRandom(target: Uint8Array): void {
  const start = takeRandom(target.length);
  pool.copy(target, 0, start, start + target.length);
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

function incrementRandom(): void {
  for (let i = lastRandom.length - 1; i >= 0; i--) {
    if (lastRandom[i] < 255) {
      lastRandom[i]++;
      return;
    }
    lastRandom[i] = 0;
  }
}

function encodeTime(time: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 characters of 5 bits each.
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/**
 * A new ULID: 48 bits of milliseconds and 80 random bits, 26 characters.
 * Ids made in the same millisecond by this process increase monotonically, so
 * string order is creation order within a process and time order across them.
 */
export function createEventId(now: number = Date.now()): string {
  if (now <= lastTime) {
    incrementRandom();
    now = lastTime;
  } else {
    lastTime = now;
    fillRandom(lastRandom);
  }
  return encodeTime(now) + encodeRandom(lastRandom);
}

/** Milliseconds since the epoch encoded in a ULID, or NaN when it is not one. */
export function eventIdTime(id: string): number {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) return NaN;
  let time = 0;
  for (let i = 0; i < 10; i++) time = time * 32 + ALPHABET.indexOf(id[i]);
  return time;
}
