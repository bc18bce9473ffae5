import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import {
  checkDurableThresholds,
  resolveHealthOptions,
} from './event-bus-health.config.js';

describe('resolveHealthOptions', () => {
  it('defaults to a 1000 ms timeout and no durable thresholds', () => {
    expect(resolveHealthOptions()).toEqual({ timeout: 1000, durable: {} });
  });

  it('keeps the thresholds given', () => {
    expect(
      resolveHealthOptions({
        timeout: 200,
        durable: { maxPending: 0, maxLag: 10 },
      }),
    ).toEqual({
      timeout: 200,
      durable: { maxPending: 0, maxLag: 10 },
    });
  });

  it.each([
    [{ timeout: 0 }, /"timeout"/],
    [{ durable: { maxPending: -1 } }, /"durable.maxPending"/],
    [{ durable: { maxDeadLetters: NaN } }, /"durable.maxDeadLetters"/],
  ])('refuses %j naming the option', (options, message) => {
    expect(() => resolveHealthOptions(options)).toThrow(
      InvalidConfigurationError,
    );
    expect(() => resolveHealthOptions(options)).toThrow(message);
  });
});

describe('EventBusHealthModule option keys', () => {
  it('accepts every documented option', () => {
    expect(
      resolveHealthOptions({
        timeout: 500,
        durable: { maxLag: 1, maxPending: 2, maxDeadLetters: 3 },
      }).durable,
    ).toEqual({ maxLag: 1, maxPending: 2, maxDeadLetters: 3 });
  });

  it.each<[object, string]>([
    [
      { timeot: 1 },
      'Unknown option "timeot" of EventBusHealthModule: did you mean "timeout"?',
    ],
    [
      { maxPending: 10 },
      'Unknown option "maxPending" of EventBusHealthModule: did you mean "durable.maxPending"?',
    ],
    [
      { durable: { maxPendng: 10 } },
      'Unknown option "durable.maxPendng" of EventBusHealthModule: did you mean "durable.maxPending"?',
    ],
  ])('refuses %j naming the key and the real one', (options, message) => {
    expect(() => resolveHealthOptions(options)).toThrow(
      InvalidConfigurationError,
    );
    expect(() => resolveHealthOptions(options)).toThrow(message);
  });

  it('checks the overrides of one isDurableHealthy() call', () => {
    expect(() =>
      checkDurableThresholds({ maxLag: 5 }, '', 'isDurableHealthy()'),
    ).not.toThrow();
    expect(() =>
      checkDurableThresholds({ maxlag: 5 } as never, '', 'isDurableHealthy()'),
    ).toThrow(
      'Unknown option "maxlag" of isDurableHealthy(): did you mean "maxLag"?',
    );
  });
});
