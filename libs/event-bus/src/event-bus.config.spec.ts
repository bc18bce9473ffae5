import { InvalidConfigurationError } from './errors/invalid-configuration.error.js';
import { resolveConfig } from './event-bus.config.js';
import type { EventBusModuleOptions } from './interfaces/event-bus-options.interface.js';

const limitsOf = (limits: EventBusModuleOptions['limits']) =>
  resolveConfig({ serviceName: 'test', limits }).limits;

describe('resolveConfig limits', () => {
  it('defaults to a 1 MB envelope, 512 KB of data and 64 levels of nesting', () => {
    expect(limitsOf(undefined)).toEqual({
      maxEventBytes: 1_048_576,
      maxDataBytes: 524_288,
      maxDepth: 64,
    });
  });

  it.each([1, 10, 1000])('accepts limits.maxDepth %p', maxDepth => {
    expect(limitsOf({ maxDepth }).maxDepth).toBe(maxDepth);
  });

  it.each<[string, unknown]>([
    ['zero', 0],
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['over the ceiling of 1000', 1001],
    ['a string', '64'],
  ])(
    'refuses a %s limits.maxDepth, naming the option and the range',
    (_label, maxDepth) => {
      expect(() => limitsOf({ maxDepth: maxDepth as number })).toThrow(
        InvalidConfigurationError,
      );
      expect(() => limitsOf({ maxDepth: maxDepth as number })).toThrow(
        /Option "limits\.maxDepth" is .*: give a whole number from 1 to 1000/,
      );
    },
  );
});
