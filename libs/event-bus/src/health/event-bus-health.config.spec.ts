import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { resolveHealthOptions } from './event-bus-health.config.js';

describe('resolveHealthOptions', () => {
  it('defaults to a 1000 ms timeout and no durable thresholds', () => {
    expect(resolveHealthOptions()).toEqual({ timeout: 1000, durable: {} });
  });

  it('keeps the thresholds given', () => {
    expect(resolveHealthOptions({ timeout: 200, durable: { maxPending: 0, maxLag: 10 } })).toEqual({
      timeout: 200,
      durable: { maxPending: 0, maxLag: 10 },
    });
  });

  it.each([[{ timeout: 0 }, /"timeout"/], [{ durable: { maxPending: -1 } }, /"durable.maxPending"/], [{ durable: { maxDeadLetters: NaN } }, /"durable.maxDeadLetters"/]])(
    'refuses %j naming the option',
    (options, message) => {
      expect(() => resolveHealthOptions(options)).toThrow(InvalidConfigurationError);
      expect(() => resolveHealthOptions(options)).toThrow(message);
    },
  );
});
