import { EventBusError } from './event-bus.error.js';

/**
 * `replayDeadLetter` refused a dead letter that holds no event the bus can read
 * (no payload, not JSON, another envelope version, over the size or depth
 * limits): replayed, it would only come back as a dead letter. Nothing was
 * sent and the dead letter is still there; the message says how to inspect and
 * delete it.
 *
 * @publicApi
 */
export class DeadLetterNotReplayableError extends EventBusError {
  constructor(
    message: string,
    /** Why the payload cannot be read, e.g. `invalid JSON (…)`. */
    public readonly reason: string,
  ) {
    super(message, 'DEAD_LETTER_NOT_REPLAYABLE');
  }
}
