import { EventValidationError } from '../errors/event-validation.error.js';
import type { PublishOptions } from '../interfaces/publish.interface.js';
import { schedulingMessages } from './scheduling.messages.js';

/** True when the publish asks for later delivery (`delay` or `at` given). */
export function isDelayed(options: PublishOptions | undefined): boolean {
  return (
    options !== undefined &&
    (options.delay !== undefined || options.at !== undefined)
  );
}

/**
 * When a delayed publish is due, in ms since the epoch. A time in the past is
 * due at once (moved on the next tick), not refused: a clock a little ahead
 * on another instance must not fail the publish.
 *
 * @throws EventValidationError for a bad `delay` or `at`, or both given
 */
export function dueTimeOf(options: PublishOptions, now: number): number {
  const { delay, at } = options;
  if (delay !== undefined && at !== undefined)
    throw new EventValidationError(schedulingMessages.delayAndAt(), 'delay');
  if (delay !== undefined) {
    if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0)
      throw new EventValidationError(
        schedulingMessages.invalidDelay(delay),
        'delay',
      );
    return now + Math.ceil(delay);
  }
  const ms =
    at instanceof Date ? at.getTime() : typeof at === 'number' ? at : NaN;
  // NOTE: Date's own range (±8.64e15 ms): past it toISOString throws when the event is built.
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15)
    throw new EventValidationError(schedulingMessages.invalidAt(at), 'at');
  return Math.ceil(ms);
}

/**
 * The next due time of an `every` schedule after the fire due at `due`, seen
 * at `now`: the first of `due + k × every` (k ≥ 1) later than `now`. Fires
 * missed while no instance ran are skipped, so a schedule fires once after
 * downtime, not once per missed period, and keeps its phase.
 */
export function nextEveryDue(due: number, every: number, now: number): number {
  if (now < due) return due + every;
  return due + every * (Math.floor((now - due) / every) + 1);
}
