import { createEventId, eventIdTime } from './event-id.util.js';

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{26}$/;

// NOTE: the generator keeps its last time in module state, so explicit times here
// only move forward, far enough ahead of Date.now() to never be clamped back.
const FUTURE = Date.UTC(2100, 0, 1);

describe('createEventId', () => {
  it('makes 26 characters of the Crockford base32 alphabet', () => {
    const id = createEventId();
    expect(id).toHaveLength(26);
    expect(id).toMatch(CROCKFORD);
  });

  it('encodes the current time by default', () => {
    const before = Date.now();
    const id = createEventId();
    expect(eventIdTime(id)).toBeGreaterThanOrEqual(before);
    expect(eventIdTime(id)).toBeLessThanOrEqual(Date.now());
  });

  it('makes 10,000 unique, strictly increasing ids', () => {
    const ids = Array.from({ length: 10_000 }, () => createEventId());
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) {
      if (!(ids[i - 1] < ids[i]))
        throw new Error(`id ${i} ${ids[i]} does not sort after ${ids[i - 1]}`);
    }
  });

  it('stays monotonic within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => createEventId(FUTURE));
    expect(new Set(ids.map(id => id.slice(0, 10))).size).toBe(1);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stays monotonic when the clock goes back', () => {
    const first = createEventId(FUTURE + 10);
    const second = createEventId(FUTURE + 5);
    expect(second > first).toBe(true);
    expect(eventIdTime(second)).toBe(FUTURE + 10);
  });

  it('sorts ids of later times later', () => {
    const earlier = createEventId(FUTURE + 1000);
    const later = createEventId(FUTURE + 1001);
    const muchLater = createEventId(FUTURE + 86_400_000);
    expect([muchLater, later, earlier].sort()).toEqual([
      earlier,
      later,
      muchLater,
    ]);
  });

  // Last: it moves the generator's clock furthest ahead.
  it('adds one to the 80-bit random part for each id in one millisecond, carrying across digits', () => {
    const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const value = (id: string) =>
      [...id.slice(10)].reduce(
        (n, c) => n * 32n + BigInt(ALPHABET.indexOf(c)),
        0n,
      );
    const ids = Array.from({ length: 100 }, () =>
      createEventId(FUTURE + 10 * 86_400_000),
    );
    for (let i = 1; i < ids.length; i++)
      expect(value(ids[i]) - value(ids[i - 1])).toBe(1n);
  });
});

describe('eventIdTime', () => {
  it('round-trips the time of an id', () => {
    for (const time of [
      FUTURE + 2_000_000_000,
      FUTURE + 2_000_000_001,
      2 ** 48 - 1,
    ]) {
      expect(eventIdTime(createEventId(time))).toBe(time);
    }
  });

  it.each([
    '',
    'not-an-id',
    '01HZX3Q5V6W7X8Y9Z0ABCDEFG',
    '01HZX3Q5V6W7X8Y9Z0ABCDEFGI',
    '01hzx3q5v6w7x8y9z0abcdefgh',
  ])('returns NaN for %j', id => {
    expect(eventIdTime(id)).toBeNaN();
  });
});
