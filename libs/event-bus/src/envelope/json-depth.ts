/**
 * Nesting depth checks, so that no deeply nested JSON reaches code that recurses over it.
 *
 * Depth counts objects and arrays: a string, number, boolean or null is 0 deep, `[]` and `{}` are 1,
 * `{"a":[1]}` is 2. `JSON.parse` itself copes with any depth, but `JSON.stringify`, socket.io's
 * encoder, class-transformer and the like recurse and throw "Maximum call stack size exceeded"
 * somewhere past a few thousand levels. Both checks are iterative, so they never throw on depth.
 */

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACE = 0x7d; // }
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]

/**
 * Whether JSON text nests objects and arrays more than `maxDepth` levels deep. Brackets inside
 * strings (escaped quotes included) do not count. It does not validate the JSON: parse it after.
 *
 * Cost, cheapest first: nothing for text of at most `2 * maxDepth` characters (each level takes
 * an opening and a closing bracket); a count of `{` and `[` with `indexOf` when the text holds at
 * most `maxDepth` of them (most events: they cannot nest deeper than that); otherwise one pass that
 * skips string contents with `indexOf` and stops at the first level past the limit.
 *
 * @param text JSON text, e.g. a received payload.
 * @param maxDepth Deepest nesting allowed (1 allows `{"a":1}` but not `{"a":{}}`).
 * @returns true as soon as the text goes one level past `maxDepth`.
 *
 * @example
 * jsonTextDepthExceeds('{"a":{"b":[]}}', 2); // true: 3 levels
 * jsonTextDepthExceeds('{"a":"{{{{"}', 1); // false: brackets in a string
 */
export function jsonTextDepthExceeds(text: string, maxDepth: number): boolean {
  const length = text.length;
  if (length <= 2 * maxDepth || openersAtMost(text, maxDepth)) return false;
  let depth = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * Whether the text holds at most `limit` opening brackets, those in strings included: then it
 * cannot nest deeper than `limit`. Native `indexOf` makes this several times cheaper than the scan.
 */
function openersAtMost(text: string, limit: number): boolean {
  let count = 0;
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) {
    if (++count > limit) return false;
  }
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) {
    if (++count > limit) return false;
  }
  return true;
}

/** Index of the quote that closes the string opening at `open`, or the text's length if none. */
function closingQuote(text: string, open: number): number {
  // NOTE: indexOf runs natively, so string contents (most of a typical payload) are skipped
  // much faster than a charCodeAt loop would read them.
  let quote = text.indexOf('"', open + 1);
  while (quote !== -1) {
    // A quote preceded by an odd run of backslashes is escaped: `"a\"b"` and `"a\\\"b"` go on, `"a\\"` ends.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH)
      backslashes++;
    if ((backslashes & 1) === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}

/**
 * Whether a value nests objects and arrays more than `maxDepth` levels deep, walked with an
 * explicit stack (no recursion) that stops as soon as a level past the limit is found. Meant for
 * parsed JSON such as socket.io message bodies: own enumerable properties count, `toJSON` is not
 * called (a `Date` is one level), and shared references are walked once per path (a cycle counts
 * as too deep), so pass trees.
 *
 * @param value Any value; non-objects are 0 deep.
 * @param maxDepth Deepest nesting allowed.
 * @returns true as soon as a value sits one level past `maxDepth`.
 *
 * @example
 * valueDepthExceeds({ a: { b: [] } }, 2); // true: 3 levels
 * valueDepthExceeds([1, [2], { c: 3 }], 2); // false: 2 levels
 */
export function valueDepthExceeds(value: unknown, maxDepth: number): boolean {
  if (value === null || typeof value !== 'object') return maxDepth < 0;
  if (maxDepth < 1) return true;
  // Parallel stacks of containers still to open and their depths.
  const containers: object[] = [value];
  const depths: number[] = [1];
  while (containers.length > 0) {
    const container = containers.pop() as object;
    const depth = depths.pop() as number;
    // Typed arrays and Buffers hold numbers only: no need to list their elements.
    if (ArrayBuffer.isView(container)) continue;
    const children: unknown[] = Array.isArray(container)
      ? container
      : Object.values(container);
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (child === null || typeof child !== 'object') continue;
      if (depth >= maxDepth) return true;
      containers.push(child);
      depths.push(depth + 1);
    }
  }
  return false;
}

/**
 * `JSON.parse` for stored payloads read back outside the codec (dead letter listings, the `dlq`
 * command line): undefined when the text is not JSON or nests deeper than `maxDepth`, so that
 * code printing or re-serializing the value cannot overflow its stack. Never throws.
 *
 * @param text JSON text, e.g. a dead letter's payload.
 * @param maxDepth Deepest nesting to parse; pass `MAX_DEPTH_CEILING + 1` where the bus' own
 *   `limits.maxDepth` is unknown (every envelope it accepted is within that).
 * @returns The parsed value, or undefined.
 *
 * @example
 * const { id, type } = (parseJsonWithinDepth(payload, MAX_DEPTH_CEILING + 1) ?? {}) as { id?: string; type?: string };
 */
export function parseJsonWithinDepth(text: string, maxDepth: number): unknown {
  if (typeof text !== 'string' || jsonTextDepthExceeds(text, maxDepth))
    return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
