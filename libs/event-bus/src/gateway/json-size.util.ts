/** Bytes of a value as JSON (0 for undefined; oversize for what JSON cannot hold). */
export function jsonSize(value: unknown): number {
  if (value === undefined) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
