import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type { ScheduleSpec } from '../interfaces/scheduling.interface.js';
import {
  assertKnownKeys,
  isOptionsObject,
  optionKeys,
} from '../validation/option-keys.util.js';
import { schedulingMessages } from './scheduling.messages.js';

/** The shortest `every`: a shorter period would fire on every tick anyway. */
export const MIN_EVERY_MS = 10;

const SPEC_KEYS = optionKeys<{ every: 1; cron: 1; tz: 1 }>({
  every: true,
  cron: true,
  tz: true,
});
const SPEC_ALIASES = {
  interval: 'every',
  intervalMs: 'every',
  everyMs: 'every',
  repeat: { key: 'every', note: 'Give { every: ms } or { cron }.' },
  pattern: 'cron',
  timezone: 'tz',
  timeZone: 'tz',
};

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Refuses a schedule name that is empty, too long or holds control characters. */
export function checkScheduleName(name: unknown): asserts name is string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > 200 ||
    CONTROL.test(name)
  )
    throw new InvalidConfigurationError(
      schedulingMessages.invalidScheduleName(name),
    );
}

/**
 * Checks a schedule's timing (keys, exactly one of `every` and `cron`, ranges);
 * the cron expression itself is parsed by `cronNext`.
 *
 * @throws InvalidConfigurationError naming the bad key or value
 */
export function checkScheduleSpec(spec: unknown): ScheduleSpec {
  if (!isOptionsObject(spec))
    throw new InvalidConfigurationError(
      schedulingMessages.scheduleNeedsOne(spec),
    );
  assertKnownKeys('', spec, SPEC_KEYS, SPEC_ALIASES, 'schedule()');
  const { every, cron, tz } = spec;
  if ((every === undefined) === (cron === undefined))
    throw new InvalidConfigurationError(
      schedulingMessages.scheduleNeedsOne(spec),
    );
  if (every !== undefined) {
    if (
      typeof every !== 'number' ||
      !Number.isInteger(every) ||
      every < MIN_EVERY_MS
    )
      throw new InvalidConfigurationError(
        schedulingMessages.invalidEvery(every, MIN_EVERY_MS),
      );
    if (tz !== undefined)
      throw new InvalidConfigurationError(schedulingMessages.tzWithoutCron());
    return { every };
  }
  if (typeof cron !== 'string' || cron.trim().length === 0)
    throw new InvalidConfigurationError(
      schedulingMessages.invalidCron(cron, 'it must be a non-empty string'),
    );
  if (tz !== undefined && (typeof tz !== 'string' || tz.length === 0))
    throw new InvalidConfigurationError(schedulingMessages.invalidTz(tz));
  return tz === undefined ? { cron } : { cron, tz };
}
