import { EventValidationError } from '../errors/event-validation.error.js';
import { dueTimeOf, isDelayed, nextEveryDue } from './due-time.js';

describe('dueTimeOf', () => {
  const now = 1_700_000_000_000;

  it('adds delay to now, rounding a fraction up so that nothing fires early', () => {
    expect(dueTimeOf({ delay: 0 }, now)).toBe(now);
    expect(dueTimeOf({ delay: 1500 }, now)).toBe(now + 1500);
    expect(dueTimeOf({ delay: 0.2 }, now)).toBe(now + 1);
  });

  it('takes at as a Date or as ms, a past time being due at once', () => {
    expect(dueTimeOf({ at: new Date(now + 60_000) }, now)).toBe(now + 60_000);
    expect(dueTimeOf({ at: now - 5000 }, now)).toBe(now - 5000);
  });

  it.each([
    [{ delay: -1 }, 'delay'],
    [{ delay: Number.NaN }, 'delay'],
    [{ delay: Number.POSITIVE_INFINITY }, 'delay'],
    [{ delay: '5000' as unknown as number }, 'delay'],
    [{ at: new Date('not a date') }, 'at'],
    [{ at: '2030-01-01' as unknown as Date }, 'at'],
    [{ at: 9e15 }, 'at'],
    [{ delay: 10, at: now }, 'delay'],
  ])('refuses %j, naming the field', (options, field) => {
    expect(() => dueTimeOf(options, now)).toThrow(EventValidationError);
    try {
      dueTimeOf(options, now);
    } catch (error) {
      expect((error as EventValidationError).field).toBe(field);
      expect((error as Error).message).toMatch(/"(delay|at)"/);
    }
  });

  it('isDelayed is true only when delay or at is given', () => {
    expect(isDelayed(undefined)).toBe(false);
    expect(isDelayed({ traceId: 'x' })).toBe(false);
    expect(isDelayed({ delay: 0 })).toBe(true);
    expect(isDelayed({ at: new Date() })).toBe(true);
  });
});

describe('nextEveryDue', () => {
  it('is one period later after an on-time fire', () => {
    expect(nextEveryDue(1000, 500, 1000)).toBe(1500);
    expect(nextEveryDue(1000, 500, 1499)).toBe(1500);
  });

  it('skips the periods missed during downtime: one fire, then the next future time in phase', () => {
    // Due at 1000 every 500, seen at 3200 (four periods missed): fires once, next at 3500.
    expect(nextEveryDue(1000, 500, 3200)).toBe(3500);
    // Seen exactly on a period boundary: that boundary counts as missed too.
    expect(nextEveryDue(1000, 500, 3000)).toBe(3500);
  });

  it('is always later than now', () => {
    for (const now of [1000, 1001, 1999, 2000, 123_456])
      expect(nextEveryDue(1000, 250, now)).toBeGreaterThan(now);
  });
});
