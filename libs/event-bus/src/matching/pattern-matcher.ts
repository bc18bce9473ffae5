import {
  EVENT_TYPE_REGEX,
  MAX_EVENT_TYPE_LENGTH,
} from '../event-bus.constants.js';

const HASH = '#'.charCodeAt(0);
const SEGMENT_REGEX = /^(\*\*|\*|[a-z0-9][a-z0-9_-]*)$/;

/** Tests an event type against one compiled pattern. */
export type TypeMatcher = (type: string) => boolean;

/**
 * True when `pattern` is a valid subscription pattern: dot-separated segments,
 * each a literal, `*` (exactly one segment) or `**` (zero or more segments).
 */
export function isValidPattern(pattern: unknown): pattern is string {
  if (typeof pattern !== 'string' || pattern.length === 0) return false;
  if (pattern.length > MAX_EVENT_TYPE_LENGTH) return false;
  return pattern.split('.').every(segment => SEGMENT_REGEX.test(segment));
}

/**
 * The route of room-targeted events (`publishToRoom`, `publishToUser`,
 * `broadcast`, socket publishes): gateways subscribe to it instead of every
 * event type. Routes starting with `#` are outside the event namespace: no
 * event pattern, not even `**`, matches them.
 */
export const GATEWAY_ROUTE = '#gateway';

/** True for the routes outside the event namespace (`#gateway`, …). */
export const isInternalRoute = (route: string): boolean =>
  route.charCodeAt(0) === HASH;

/** True when the pattern has no wildcard, so it names exactly one type. */
export function isExactPattern(pattern: string): boolean {
  return !pattern.includes('*');
}

/** True when `type` is a valid event type (lower-case dot-separated segments). */
export function isValidEventType(type: unknown): type is string {
  return (
    typeof type === 'string' &&
    type.length <= MAX_EVENT_TYPE_LENGTH &&
    EVENT_TYPE_REGEX.test(type)
  );
}

/**
 * Compiles a pattern into a matcher. This is the one matcher of every transport,
 * so the memory and Redis transports route identically.
 *
 * Each segment becomes a regex piece that starts with its own dot, matched
 * against `'.' + type`: `photo.*` → `^\.photo\.[^.]+$`, `photo.**` →
 * `^\.photo(?:\.[^.]+)*$` (which also matches `photo` itself).
 *
 * @example
 * compilePattern('photo.*')('photo.uploaded') // true
 * compilePattern('photo.*')('photo.processing.started') // false
 */
export function compilePattern(pattern: string): TypeMatcher {
  if (isExactPattern(pattern)) return type => type === pattern;
  const source = pattern
    .split('.')
    .map(segment => {
      if (segment === '**') return '(?:\\.[^.]+)*';
      if (segment === '*') return '\\.[^.]+';
      return '\\.' + segment.replace(/[-]/g, '\\-');
    })
    .join('');
  const regex = new RegExp(`^${source}$`);
  return type => regex.test('.' + type);
}

/**
 * The Redis glob that selects a superset of the types `pattern` matches; the
 * exact match is then made locally by `compilePattern`. Redis' `*` crosses dots,
 * so `*` and `**` both become `*`, and `**` also absorbs its neighbouring dot so
 * that it can match zero segments.
 *
 * @example toRedisGlob('photo.**') // 'photo*'
 */
export function toRedisGlob(pattern: string): string {
  return pattern.replace(/\.?\*\*\.?/g, '*').replace(/\*+/g, '*');
}

/** Escapes Redis glob metacharacters in a literal (for channel prefixes). */
export function escapeRedisGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, ch => '\\' + ch);
}
