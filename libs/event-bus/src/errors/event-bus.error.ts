/**
 * Base class of every error the event bus throws. `code` is stable and meant for
 * programs; `message` is for people and says what to do next.
 *
 * @publicApi
 */
export class EventBusError extends Error {
  constructor(
    message: string,
    /** A stable machine-readable code, e.g. `EVENT_VALIDATION`. */
    public readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
