import { logLevelFromEnv } from './log-level.js';

describe('logLevelFromEnv', () => {
  it.each([
    [undefined, 'log'],
    ['', 'log'],
    ['debug', 'debug'],
    ['info', 'info'],
    ['WARN', 'warn'],
    ['error', 'error'],
  ])('reads LOG_LEVEL=%p as %p', (value, level) => {
    expect(logLevelFromEnv(value)).toBe(level);
  });

  it.each(['verbose', 'warning', 'trace'])(
    'refuses LOG_LEVEL=%p naming the variable and the levels',
    value => {
      expect(() => logLevelFromEnv(value)).toThrow(
        `LOG_LEVEL is "${value}": use debug, log (or info), warn or error.`,
      );
    },
  );
});
