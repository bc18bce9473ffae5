import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type { RetryOptions } from '../interfaces/retry-options.interface.js';
import { backoffDelay, DEFAULT_RETRY, resolveRetry } from './retry-policy.js';

const policy = (override: Partial<RetryOptions> = {}): RetryOptions => ({
  ...DEFAULT_RETRY,
  ...override,
});
const fixed = (value: number) => () => value;

describe('backoffDelay', () => {
  it('grows exponentially from the seeds defaults with no jitter', () => {
    const none = policy({ jitter: 'none' });
    expect([1, 2, 3].map(n => backoffDelay(none, n))).toEqual([
      1000, 2000, 4000,
    ]);
  });

  it('follows the multiplier', () => {
    const triple = policy({
      jitter: 'none',
      initialDelay: 100,
      multiplier: 3,
      maxDelay: 100_000,
    });
    expect([1, 2, 3, 4].map(n => backoffDelay(triple, n))).toEqual([
      100, 300, 900, 2700,
    ]);
  });

  it('caps each delay at maxDelay', () => {
    const none = policy({ jitter: 'none' });
    expect([4, 5, 6, 50, 5000].map(n => backoffDelay(none, n))).toEqual([
      8000, 10_000, 10_000, 10_000, 10_000,
    ]);
  });

  it('treats retry 0 as the first retry', () => {
    expect(backoffDelay(policy({ jitter: 'none' }), 0)).toBe(1000);
  });

  it('draws full jitter from [0, d)', () => {
    const full = policy({ jitter: 'full' });
    expect(backoffDelay(full, 2, fixed(0))).toBe(0);
    expect(backoffDelay(full, 2, fixed(0.5))).toBe(1000);
    expect(backoffDelay(full, 2, fixed(0.999999))).toBe(1999);
  });

  it('draws equal jitter from [d/2, d)', () => {
    const equal = policy({ jitter: 'equal' });
    expect(backoffDelay(equal, 3, fixed(0))).toBe(2000);
    expect(backoffDelay(equal, 3, fixed(0.5))).toBe(3000);
    expect(backoffDelay(equal, 3, fixed(0.999999))).toBe(3999);
  });

  it('jitters the capped delay, not the raw one', () => {
    expect(backoffDelay(policy({ jitter: 'full' }), 10, fixed(0.5))).toBe(5000);
    expect(backoffDelay(policy({ jitter: 'equal' }), 10, fixed(0.5))).toBe(
      7500,
    );
  });

  it('ignores the random source with no jitter', () => {
    let calls = 0;
    backoffDelay(policy({ jitter: 'none' }), 1, () => ++calls);
    expect(calls).toBe(0);
  });
});

describe('resolveRetry', () => {
  it('returns the base when there is no override', () => {
    expect(resolveRetry(DEFAULT_RETRY)).toEqual(DEFAULT_RETRY);
  });

  it('merges given fields over the base and skips undefined ones', () => {
    expect(
      resolveRetry(DEFAULT_RETRY, {
        maxRetries: 5,
        jitter: 'none',
        initialDelay: undefined,
      }),
    ).toEqual({
      ...DEFAULT_RETRY,
      maxRetries: 5,
      jitter: 'none',
    });
  });

  it('does not modify the base', () => {
    const base = { ...DEFAULT_RETRY };
    resolveRetry(base, { maxRetries: 0 });
    expect(base).toEqual(DEFAULT_RETRY);
  });

  it('accepts zero', () => {
    expect(
      resolveRetry(DEFAULT_RETRY, { maxRetries: 0, initialDelay: 0 })
        .maxRetries,
    ).toBe(0);
  });

  it.each<[string, Partial<RetryOptions>]>([
    ['negative maxRetries', { maxRetries: -1 }],
    ['NaN initialDelay', { initialDelay: NaN }],
    ['Infinity maxDelay', { maxDelay: Infinity }],
    ['-Infinity multiplier', { multiplier: -Infinity }],
    ['string maxRetries', { maxRetries: '3' as never }],
    ['null initialDelay', { initialDelay: null as never }],
    ['unknown jitter', { jitter: 'random' as never }],
  ])('throws InvalidConfigurationError on %s', (_label, override) => {
    expect(() => resolveRetry(DEFAULT_RETRY, override)).toThrow(
      InvalidConfigurationError,
    );
  });

  it('names the bad field and value', () => {
    expect(() => resolveRetry(DEFAULT_RETRY, { maxDelay: -5 })).toThrow(
      /"maxDelay" is -5/,
    );
    expect(() =>
      resolveRetry(DEFAULT_RETRY, { jitter: 'random' as never }),
    ).toThrow(/"jitter" is "random"/);
  });
});
