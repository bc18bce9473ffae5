import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type { OnEventOptions } from '../interfaces/on-event-options.interface.js';
import {
  checkHandlerOptions,
  checkRetryOptions,
} from './handler-options.util.js';

const NAME = 'subscribe(photo.*)';

/** The message checkHandlerOptions throws for `options`. */
function refusal(options: unknown): string {
  try {
    checkHandlerOptions(options as OnEventOptions, NAME);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidConfigurationError');
}

describe('checkHandlerOptions', () => {
  it('accepts every documented handler option', () => {
    expect(() =>
      checkHandlerOptions(
        {
          retry: {
            maxRetries: 5,
            initialDelay: 10,
            multiplier: 1.5,
            maxDelay: 100,
            jitter: 'none',
          },
          timeout: 5000,
          filter: {
            operator: 'OR',
            conditions: [
              { field: 'data.priority', operator: 'equals', value: 'high' },
              {
                operator: 'AND',
                conditions: [{ field: 'data.size', operator: 'exists' }],
              },
            ],
          },
          concurrency: 4,
          maxQueued: 10,
          name: 'Photos.onAny',
          durable: true,
          group: 'photos',
          startFrom: 'beginning',
          claimIdleMs: 1000,
          idempotency: { windowMs: 60_000 },
        },
        NAME,
      ),
    ).not.toThrow();
    expect(() => checkHandlerOptions({}, NAME)).not.toThrow();
    expect(() =>
      checkHandlerOptions({ durable: false, retry: { maxRetries: 0 } }, NAME),
    ).not.toThrow();
  });

  it("refuses the seeds' subscribe options, pointing at the real ones", () => {
    expect(refusal({ maxRetries: 3 })).toBe(
      `Unknown option "maxRetries" of handler ${NAME}: did you mean "retry.maxRetries"?`,
    );
    expect(
      refusal({ retryOnError: true, maxRetries: 3, timeout: 5000 }),
    ).toMatch(
      /^Unknown option "retryOnError" of handler .*: did you mean "retry\.maxRetries"\? Handlers retry on error by default .* Unknown option "maxRetries" .*did you mean "retry\.maxRetries"\?$/,
    );
    expect(refusal({ metadata: { filter: { conditions: [] } } })).toBe(
      `Unknown option "metadata.filter" of handler ${NAME}: did you mean "filter"?`,
    );
  });

  it("refuses the seeds' retry names inside retry", () => {
    expect(refusal({ retry: { backoffMultiplier: 2 } })).toBe(
      `Unknown option "retry.backoffMultiplier" of handler ${NAME}: did you mean "retry.multiplier"?`,
    );
    expect(refusal({ retry: { maxAttempts: 4 } })).toContain(
      'did you mean "retry.maxRetries"? maxRetries counts the retries after the first attempt',
    );
  });

  it('refuses a misspelled key anywhere in a filter, with its path', () => {
    expect(refusal({ filter: { conditons: [] } })).toContain(
      '"filter.conditons" of handler subscribe(photo.*): did you mean "filter.conditions"?',
    );
    expect(
      refusal({
        filter: {
          conditions: [{ field: 'data.size', operator: 'exists', values: 1 }],
        },
      }),
    ).toContain(
      '"filter.conditions[0].values" of handler subscribe(photo.*): did you mean "filter.conditions[0].value"?',
    );
    expect(
      refusal({
        filter: {
          conditions: [
            {
              operator: 'OR',
              conditions: [{ field: 'type', operatr: 'equals' }],
            },
          ],
        },
      }),
    ).toContain(
      '"filter.conditions[0].conditions[0].operatr" of handler subscribe(photo.*): did you mean "filter.conditions[0].conditions[0].operator"?',
    );
  });

  it('names the jitter values', () => {
    expect(refusal({ retry: { jitter: 'random' } })).toBe(
      `Option "retry.jitter" of handler ${NAME} is "random": use 'equal' (a delay in [d/2, d], the default), 'full' (in [0, d]) or 'none' (exactly d).`,
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a negative timeout',
      { timeout: -1 },
      `Option "timeout" of handler ${NAME} is -1: it must be a finite number >= 0.`,
    ],
    [
      'a string concurrency',
      { concurrency: '4' },
      `Option "concurrency" of handler ${NAME} is "4": it must be a finite number >= 0.`,
    ],
    [
      'a negative retry delay',
      { retry: { maxDelay: -5 } },
      `Option "retry.maxDelay" of handler ${NAME} is -5: it must be a finite number >= 0.`,
    ],
    [
      'durable as a string',
      { durable: 'yes' },
      `Option "durable" of handler ${NAME} is "yes": give true or false.`,
    ],
    [
      'a misspelled startFrom',
      { durable: true, startFrom: 'begining' },
      "use 'new', 'beginning' (did you mean 'beginning'?)",
    ],
    [
      'idempotency without a window',
      { durable: true, idempotency: {} },
      `Option "idempotency.windowMs" of handler ${NAME} is undefined: it must be a finite number >= 1.`,
    ],
    [
      'a misspelled idempotency key',
      { durable: true, idempotency: { windowMS: 10 } },
      '"idempotency.windowMS" of handler subscribe(photo.*): did you mean "idempotency.windowMs"?',
    ],
  ])('refuses %s', (_what, options, expected) => {
    expect(refusal(options)).toContain(expected);
  });

  it.each(['group', 'startFrom', 'claimIdleMs', 'idempotency'])(
    'refuses %s on a fan-out handler, where it would be ignored',
    key => {
      const value = {
        group: 'g',
        startFrom: 'beginning',
        claimIdleMs: 10,
        idempotency: { windowMs: 1 },
      }[key];
      expect(refusal({ [key]: value })).toBe(
        `Option "${key}" of handler ${NAME} applies to durable handlers only: add durable: true, or leave it out.`,
      );
    },
  );
});

describe('checkRetryOptions', () => {
  it('accepts partial retry options and none', () => {
    expect(() => checkRetryOptions({ maxRetries: 0 })).not.toThrow();
    expect(() => checkRetryOptions(undefined)).not.toThrow();
  });
});
