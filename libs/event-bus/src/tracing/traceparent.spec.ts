import {
  formatTraceparent,
  isCarriableTracestate,
  MAX_TRACESTATE_LENGTH,
  parseTraceparent,
} from './traceparent.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('traceparent', () => {
  it('reads a version 00 traceparent', () => {
    expect(parseTraceparent(VALID)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 1,
    });
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)?.traceFlags).toBe(
      0,
    );
  });

  it('reads a later version, ignoring the fields it does not know', () => {
    expect(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01-what-comes`)).toEqual(
      { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 },
    );
    expect(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01`)).toBeDefined();
  });

  it.each([
    ['not a string', 42],
    ['an object', { traceId: TRACE_ID }],
    ['empty', ''],
    ['garbage', 'garbage'],
    ['upper-case hex', VALID.toUpperCase()],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['an all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['version 00 with more fields', `${VALID}-extra`],
    [
      'a later version without a dash after the flags',
      `01-${TRACE_ID}-${SPAN_ID}-01x`,
    ],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['other separators', VALID.replace(/-/g, '_')],
  ])('ignores %s', (_, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('writes version 00 with two hex digits of flags', () => {
    expect(formatTraceparent(TRACE_ID, SPAN_ID, 1)).toBe(VALID);
    expect(formatTraceparent(TRACE_ID, SPAN_ID, 0)).toBe(
      `00-${TRACE_ID}-${SPAN_ID}-00`,
    );
    expect(
      parseTraceparent(formatTraceparent(TRACE_ID, SPAN_ID, 0xab)),
    ).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0xab });
  });

  it('carries a printable tracestate of at most 512 characters', () => {
    expect(
      isCarriableTracestate('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'),
    ).toBe(true);
    expect(isCarriableTracestate('a='.padEnd(MAX_TRACESTATE_LENGTH, 'x'))).toBe(
      true,
    );
    expect(
      isCarriableTracestate('a='.padEnd(MAX_TRACESTATE_LENGTH + 1, 'x')),
    ).toBe(false);
    expect(isCarriableTracestate('')).toBe(false);
    expect(isCarriableTracestate(['a=b'])).toBe(false);
    expect(isCarriableTracestate('a=b\nc=d')).toBe(false);
  });
});
