/**
 * Options of one publish.
 *
 * @publicApi
 */
export interface PublishOptions {
  /** Trace id to use; by default the trace of the event being handled, or a new one. */
  traceId?: string;
  /** Correlation id; by default the incoming event's, or the trace id. */
  correlationId?: string;
  /** Id of the event that caused this one; by default the event being handled. */
  causationId?: string;
  /**
   * Key that durable handlers with `idempotency` deduplicate on (e.g. an order
   * id); by default the event id.
   */
  idempotencyKey?: string;
  /**
   * Delivers the event this many ms from now instead of at once: it is checked
   * now, stored (in Redis on the redis transport) and published as usual
   * when due, at most one poll interval late. `publish()` only.
   */
  delay?: number;
  /** Like `delay`, at a point in time (a Date, or ms since the epoch). */
  at?: Date | number;
}

/**
 * What a successful publish returns.
 *
 * @publicApi
 */
export interface PublishResult {
  success: true;
  eventId: string;
  type: string;
  traceId: string;
  timestamp: string;
}

/**
 * A live subscription.
 *
 * @publicApi
 */
export interface Subscription {
  id: string;
  pattern: string;
  /** Stops delivery to this handler; resolves `false` when it was already gone. */
  unsubscribe(): Promise<boolean>;
}
