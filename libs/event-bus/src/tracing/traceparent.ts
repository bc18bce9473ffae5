/**
 * The W3C Trace Context headers (https://www.w3.org/TR/trace-context/) as the
 * envelope carries them: `metadata.traceparent` and `metadata.tracestate`.
 * Parsed here rather than by a registered propagator, so that the bus reads
 * and writes exactly these two fields whatever propagators the app set up, and
 * so that a foreign publisher's malformed value is ignored, never trusted.
 */

/** The parts of a `traceparent` the bus uses. */
export interface TraceParent {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string;
  /** 16 lower-case hex digits, not all zero: the span that published the event. */
  spanId: string;
  /** The trace flags byte (bit 0: sampled). */
  traceFlags: number;
}

// version "-" trace-id "-" parent-id "-" trace-flags, then (future versions only) "-" and more.
const TRACEPARENT =
  /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
/** W3C: vendors must propagate at least 512 characters of tracestate; longer ones may be dropped. */
export const MAX_TRACESTATE_LENGTH = 512;
// Printable ASCII (list members, OWS and commas); the api's TraceState parses the members.
const TRACESTATE = /^[\x20-\x7e]*$/;

/** The trace context in `value`, or undefined when it is not a valid `traceparent`. */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string' || value.length < 55) return undefined;
  const match = TRACEPARENT.exec(value);
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags] = match;
  if (version === 'ff') return undefined;
  // Version 00 is exactly 55 characters; a later version may append fields after a dash.
  if (
    version === '00'
      ? value.length !== 55
      : value.length > 55 && value[55] !== '-'
  )
    return undefined;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}

/** `traceparent` (version 00) of a span. */
export function formatTraceparent(
  traceId: string,
  spanId: string,
  traceFlags: number,
): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** Whether `value` can be carried as `tracestate` (a non-empty printable string of at most 512 characters). */
export function isCarriableTracestate(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_TRACESTATE_LENGTH &&
    TRACESTATE.test(value)
  );
}
