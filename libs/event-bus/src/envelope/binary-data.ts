/**
 * Binary values in event data. JSON has no binary type, and `JSON.stringify`
 * does not refuse one: a Buffer becomes `{"type":"Buffer","data":[…]}` (four
 * to five times its size), a typed array an object of numbered keys, an
 * ArrayBuffer `{}`. A receiver would get a different value than was sent,
 * without an error, so the codec refuses them instead.
 *
 * The check runs on the exact path only (after `JSON.stringify`), and walks the
 * data only when its text holds a trace of binary (`{"type":"Buffer"`, `{"0":`
 * or `{}`): plain data without those is never walked a second time.
 */

/** A binary value found in data: where (`data.a.b[2]`) and what (`a Buffer`). */
export interface BinaryValue {
  path: string;
  kind: string;
}

/** The first binary value in `data` (whose JSON text is `json`), or undefined. */
export function findBinaryData(
  data: unknown,
  json: string,
  maxDepth: number,
): BinaryValue | undefined {
  if (!mayHoldBinary(json)) return undefined;
  return findBinary(data, 'data', 0, maxDepth);
}

/** What a binary value is called in an error: `a Buffer`, `a Uint8Array`, `an ArrayBuffer`. */
function binaryKind(value: unknown): string | undefined {
  if (Buffer.isBuffer(value)) return 'a Buffer';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (value instanceof ArrayBuffer) return 'an ArrayBuffer';
  if (
    typeof SharedArrayBuffer !== 'undefined' &&
    value instanceof SharedArrayBuffer
  )
    return 'a SharedArrayBuffer';
  return undefined;
}

const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;

/**
 * Whether the text has a JSON form binary values take (`{}`, `{"0":`,
 * `{"type":"Buffer","data":[`); anything else in it cannot be one. One pass
 * from object start to object start (native `indexOf`), about 50-100 ns for
 * a 200-character event.
 */
function mayHoldBinary(json: string): boolean {
  let at = json.indexOf('{');
  while (at !== -1) {
    const next = json.charCodeAt(at + 1);
    if (next === CLOSE_BRACE) return true;
    if (
      next === QUOTE &&
      (json.startsWith('"0":', at + 1) ||
        json.startsWith('"type":"Buffer","data":[', at + 1))
    )
      return true;
    at = json.indexOf('{', at + 1);
  }
  return false;
}

function findBinary(
  value: unknown,
  path: string,
  depth: number,
  maxDepth: number,
): BinaryValue | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const kind = binaryKind(value);
  if (kind !== undefined) return { path, kind };
  // The depth was checked before: this only guards against a walk the text did not show.
  if (depth >= maxDepth) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBinary(value[i], `${path}[${i}]`, depth + 1, maxDepth);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  // Other objects (a Date, a class with toJSON) are written as they choose; not binary.
  if (proto !== Object.prototype && proto !== null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = findBinary(item, `${path}.${key}`, depth + 1, maxDepth);
    if (found !== undefined) return found;
  }
  return undefined;
}
