import {
  afterEach,
  beforeEach,
  describe,
  expect,
  it,
  jest,
} from '@jest/globals';
import { Logger } from '@nestjs/common';
import {
  EventBusLogger,
  LOG_BURST,
  LOG_WINDOW_MS,
} from './event-bus.logger.js';

describe('EventBusLogger.limited', () => {
  let warnings: string[];
  let errors: string[];

  beforeEach(() => {
    jest.useFakeTimers();
    warnings = [];
    errors = [];
    jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation(
        (message: unknown) => void warnings.push(String(message)),
      );
    jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation(
        (message: unknown) => void errors.push(String(message)),
      );
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('logs a burst per kind, then only counts, and says how many on a timer when the window ends', () => {
    const logger = new EventBusLogger('test');
    for (let i = 0; i < 20_000; i++)
      logger.limited('dropped', 'warn', `dropped ${i}`);
    logger.limited('failed', 'error', 'failed 0');
    expect(warnings).toHaveLength(LOG_BURST);
    expect(errors).toEqual(['failed 0']);
    // Nothing else arrives: the summary still comes, when the window ends.
    jest.advanceTimersByTime(LOG_WINDOW_MS);
    expect(warnings).toHaveLength(LOG_BURST + 1);
    expect(warnings[LOG_BURST]).toMatch(
      /^19990 more "dropped" lines in the last 10 s were not logged/,
    );
    expect(errors).toEqual(['failed 0']);
    // A new window logs again.
    logger.limited('dropped', 'warn', 'dropped again');
    expect(warnings.at(-1)).toBe('dropped again');
  });

  it('respects the log level', () => {
    const logger = new EventBusLogger('test', 'error');
    logger.limited('dropped', 'warn', 'hidden');
    logger.limited('failed', 'error', 'shown');
    jest.advanceTimersByTime(LOG_WINDOW_MS);
    expect(warnings).toEqual([]);
    expect(errors).toEqual(['shown']);
  });
});
