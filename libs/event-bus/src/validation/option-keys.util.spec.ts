import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import {
  assertKnownKeys,
  assertNumber,
  assertOneOf,
  assertTypeOf,
  didYouMean,
  editDistance,
  optionKeys,
} from './option-keys.util.js';

const RETRY = [
  'maxRetries',
  'initialDelay',
  'multiplier',
  'maxDelay',
  'jitter',
];

/** The message `fn` throws, failing when it throws something else or nothing. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidConfigurationError');
}

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['multiplier', 'multiplyer', 1],
    ['maxRetries', 'maxRetires', 2],
    ['kitten', 'sitting', 3],
  ])('%p to %p is %p', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('didYouMean', () => {
  it('finds a key a slip of the keyboard away, or in another case', () => {
    expect(didYouMean('multiplyer', RETRY)).toBe('multiplier');
    expect(didYouMean('maxretries', RETRY)).toBe('maxRetries');
    expect(didYouMean('MAXDELAY', RETRY)).toBe('maxDelay');
    expect(didYouMean('jiter', RETRY)).toBe('jitter');
  });

  it('suggests nothing for a name that is far from every key', () => {
    expect(didYouMean('backoffMultiplier', RETRY)).toBeUndefined();
    expect(didYouMean('retryOnError', RETRY)).toBeUndefined();
  });

  it('allows one edit only on short names, where two make another word', () => {
    expect(didYouMean('db', ['url'])).toBeUndefined();
    expect(didYouMean('urls', ['url'])).toBe('url');
  });
});

describe('assertKnownKeys', () => {
  it('accepts known keys, an empty object and an option not given', () => {
    expect(() =>
      assertKnownKeys('retry', { maxRetries: 1, jitter: 'none' }, RETRY),
    ).not.toThrow();
    expect(() => assertKnownKeys('retry', {}, RETRY)).not.toThrow();
    expect(() => assertKnownKeys('retry', undefined, RETRY)).not.toThrow();
  });

  it('refuses a misspelled key with its full path and the real one', () => {
    const message = refusal(() =>
      assertKnownKeys('retry', { multiplyer: 2 }, RETRY, {}, 'EventBusModule'),
    );
    expect(message).toBe(
      'Unknown option "retry.multiplyer" of EventBusModule: did you mean "retry.multiplier"?',
    );
  });

  it('names a root key without a leading dot', () => {
    expect(
      refusal(() => assertKnownKeys('', { tiemout: 1 }, ['timeout'])),
    ).toBe('Unknown option "tiemout": did you mean "timeout"?');
  });

  it('lists the known keys when none is near', () => {
    expect(refusal(() => assertKnownKeys('retry', { foo: 1 }, RETRY))).toBe(
      'Unknown option "retry.foo". Known here: maxRetries, initialDelay, multiplier, maxDelay, jitter.',
    );
  });

  it('follows an alias by full path, with its note', () => {
    const aliases = {
      'retry.backoffMultiplier': 'retry.multiplier',
      retryOnError: {
        key: 'retry.maxRetries',
        note: 'Handlers retry by default.',
      },
      client: { note: 'Use the client SDK.' },
    };
    expect(
      refusal(() =>
        assertKnownKeys('retry', { backoffMultiplier: 2 }, RETRY, aliases),
      ),
    ).toBe(
      'Unknown option "retry.backoffMultiplier": did you mean "retry.multiplier"?',
    );
    expect(
      refusal(() =>
        assertKnownKeys('', { retryOnError: true }, ['retry'], aliases),
      ),
    ).toBe(
      'Unknown option "retryOnError": did you mean "retry.maxRetries"? Handlers retry by default.',
    );
    expect(
      refusal(() => assertKnownKeys('', { client: {} }, ['retry'], aliases)),
    ).toBe('Unknown option "client". Use the client SDK.');
  });

  it('names the nested key an alias matches inside an unknown object', () => {
    const aliases = {
      'metadata.filter': 'filter',
      metadata: { note: 'No metadata block.' },
    };
    expect(
      refusal(() =>
        assertKnownKeys(
          '',
          { metadata: { filter: { conditions: [] } } },
          ['filter'],
          aliases,
        ),
      ),
    ).toBe('Unknown option "metadata.filter": did you mean "filter"?');
    expect(
      refusal(() =>
        assertKnownKeys('', { metadata: { other: 1 } }, ['filter'], aliases),
      ),
    ).toBe('Unknown option "metadata". No metadata block.');
  });

  it('names every unknown key of the object in one message', () => {
    const message = refusal(() =>
      assertKnownKeys(
        'retry',
        { multiplyer: 2, maxDelays: 1, jitter: 'none' },
        RETRY,
      ),
    );
    expect(message).toContain('"retry.multiplyer"');
    expect(message).toContain(
      '"retry.maxDelays": did you mean "retry.maxDelay"?',
    );
    expect(message).not.toContain('jitter"');
  });

  it.each([null, 3, 'fast', [1, 2]])(
    'refuses %p where an object belongs',
    value => {
      expect(refusal(() => assertKnownKeys('retry', value, RETRY))).toMatch(
        /^Option "retry" is .*: give an object with maxRetries, initialDelay/,
      );
    },
  );
});

describe('value checks', () => {
  it('assertOneOf names the values and the nearest one', () => {
    expect(assertOneOf('logLevel', 'warn', ['debug', 'log', 'warn'])).toBe(
      'warn',
    );
    expect(
      refusal(() =>
        assertOneOf(
          'logLevel',
          'warning',
          ['debug', 'log', 'warn'],
          'EventBusModule',
        ),
      ),
    ).toBe(
      `Option "logLevel" of EventBusModule is "warning": use 'debug', 'log', 'warn' (did you mean 'warn'?).`,
    );
    expect(
      refusal(() => assertOneOf('startFrom', 3, ['new', 'beginning'])),
    ).toBe(`Option "startFrom" is 3: use 'new', 'beginning'.`);
  });

  it('assertTypeOf and assertNumber let an option not given through', () => {
    expect(() => assertTypeOf('durable', undefined, 'boolean')).not.toThrow();
    expect(() => assertNumber('timeout', undefined, 0)).not.toThrow();
    expect(refusal(() => assertTypeOf('durable', 'yes', 'boolean'))).toBe(
      'Option "durable" is "yes": give true or false.',
    );
    expect(refusal(() => assertNumber('timeout', NaN, 0))).toBe(
      'Option "timeout" is NaN: it must be a finite number >= 0.',
    );
    expect(refusal(() => assertNumber('timeout', '5', 0))).toBe(
      'Option "timeout" is "5": it must be a finite number >= 0.',
    );
  });

  it('optionKeys lists the keys of an interface', () => {
    expect(optionKeys<{ a?: number; b: string }>({ a: true, b: true })).toEqual(
      ['a', 'b'],
    );
  });
});
