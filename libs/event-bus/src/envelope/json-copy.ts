/**
 * Copies of JSON data without going through JSON text, for the in-process path
 * (memory transport) and for handlers that each get their own copy.
 *
 * `copyPlainJson` copies only what it can prove `JSON.parse(JSON.stringify(value))`
 * would give back unchanged; for anything else it answers `NOT_PLAIN` and the
 * caller takes the exact path (stringify, check, parse), which also produces the
 * errors a publish has always produced (BigInt, cycles, too deep, too large).
 */

/** The answer of `copyPlainJson` for values it does not copy itself. */
export const NOT_PLAIN: unique symbol = Symbol('not plain JSON');

/** Longest JSON form of a finite double (`-1.2345678901234567e-308`). */
const NUMBER_BYTES = 24;

/**
 * A deep copy of `value` equal to what its JSON text would parse back to, or
 * `NOT_PLAIN`. Copied: strings, finite numbers, booleans, null, arrays and
 * objects whose prototype is `Array.prototype`, `Object.prototype` or null
 * (own enumerable string keys, in `JSON.stringify`'s order; `undefined`
 * properties left out, as JSON does). Not copied, so `NOT_PLAIN`: BigInt,
 * functions (a `toJSON` too), symbols, NaN and Infinity, -0, `undefined` in an
 * array or at the top, other objects (Date, Map, class instances, Buffers),
 * a `__proto__` key, nesting deeper than `maxDepth` (cycles included) and data
 * whose JSON text might pass `maxBytes`: the walk stops there, so it costs at
 * most about `maxBytes` of work. The size is an upper bound of the text's UTF-8
 * bytes: each UTF-16 unit of a string counts 6 (its longest form, `\uXXXX`),
 * each number 24, so only data far below the limit is copied here.
 *
 * @param value The caller's data; only read.
 * @param maxDepth Deepest nesting of objects and arrays allowed (`{}` is 1).
 * @param maxBytes Largest bound of the JSON text's bytes allowed.
 *
 * @example
 * copyPlainJson({ a: [1, 'x'] }, 64, 1024); // { a: [1, 'x'] }, a new object
 * copyPlainJson({ at: new Date() }, 64, 1024); // NOT_PLAIN
 */
export function copyPlainJson(
  value: unknown,
  maxDepth: number,
  maxBytes: number,
): unknown {
  const walk = new Walk(maxDepth, maxBytes);
  let copy: unknown;
  try {
    copy = walk.copy(value, 0);
  } catch {
    // A getter or proxy that throws: the exact path reports it as JSON.stringify does.
    return NOT_PLAIN;
  }
  return walk.bytes > maxBytes ? NOT_PLAIN : copy;
}

/**
 * A deep copy of parsed JSON (a received envelope, say), sharing nothing with
 * `value`: by `copyPlainJson` when it can, else through JSON text.
 */
export function cloneJson<T>(value: T): T {
  const copy = copyPlainJson(value, Infinity, Infinity);
  return copy === NOT_PLAIN
    ? (JSON.parse(JSON.stringify(value)) as T)
    : (copy as T);
}

class Walk {
  bytes = 0;

  constructor(
    private readonly maxDepth: number,
    private readonly maxBytes: number,
  ) {}

  copy(value: unknown, depth: number): unknown {
    if (typeof value === 'string') {
      this.bytes += 2 + 6 * value.length;
      return value;
    }
    if (typeof value === 'number') {
      // NOTE: JSON writes NaN and ±Infinity as null and -0 as 0. `v - v` is 0 only when v is finite.
      if (value - value !== 0 || (value === 0 && 1 / value < 0))
        return NOT_PLAIN;
      this.bytes += NUMBER_BYTES;
      return value;
    }
    if (typeof value === 'boolean') {
      this.bytes += 5;
      return value;
    }
    if (typeof value !== 'object') return NOT_PLAIN;
    if (value === null) {
      this.bytes += 4;
      return null;
    }
    if (depth >= this.maxDepth || this.bytes > this.maxBytes) return NOT_PLAIN;
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto === Array.prototype) {
      const source = value as unknown[];
      const length = source.length;
      const out = new Array<unknown>(length);
      this.bytes += 2 + length;
      for (let i = 0; i < length; i++) {
        const item = source[i];
        // NOTE: JSON writes undefined (and holes) in an array as null.
        if (item === undefined) return NOT_PLAIN;
        const copy = this.copy(item, depth + 1);
        if (copy === NOT_PLAIN) return NOT_PLAIN;
        out[i] = copy;
      }
      return out;
    }
    if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
    const source = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    this.bytes += 2;
    const keys = Object.keys(source);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const item = source[key];
      if (item === undefined) continue;
      // NOTE: assigning `__proto__` would set the copy's prototype, not a property as JSON.parse does.
      if (key === '__proto__') return NOT_PLAIN;
      this.bytes += 4 + 6 * key.length;
      const copy = this.copy(item, depth + 1);
      if (copy === NOT_PLAIN) return NOT_PLAIN;
      out[key] = copy;
    }
    return out;
  }
}
