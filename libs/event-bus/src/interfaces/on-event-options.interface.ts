import type { EventFilter } from './event-filter.interface.js';
import type { RetryOptions } from './retry-options.interface.js';

/**
 * Options of one handler, for `@OnEvent(pattern, options)` and `subscribe(pattern, handler, options)`.
 * Unset fields take the module's `handlerDefaults` and `retry`.
 *
 * @publicApi
 */
export interface OnEventOptions {
  /** Retry policy; fields not given come from the module's `retry`. */
  retry?: Partial<RetryOptions>;
  /**
   * Time one attempt may take, in ms, before it counts as failed; 0 for no limit.
   * @default 30000
   */
  timeout?: number;
  /** Only events that pass the filter reach the handler. */
  filter?: EventFilter;
  /**
   * Attempts of this handler running at once.
   * @default 100
   */
  concurrency?: number;
  /**
   * Events waiting for a free slot; past it, fan-out events are dropped for this
   * handler (counted in `eventsDropped` and logged), keeping memory bounded.
   * @default 10000
   */
  maxQueued?: number;
  /** Name used in logs and stats; defaults to `ClassName.method`. */
  name?: string;
  /**
   * Durable delivery through Redis Streams consumer groups: once per group,
   * at least once, survives downtime, dead letters after the last retry.
   * @default false
   */
  durable?: boolean;
  /**
   * Consumer group of a durable handler: instances sharing it share the work.
   * @default '<serviceName>.<ClassName.method>'
   */
  group?: string;
  /**
   * Where a new group starts: `'new'` (events published after the handler was
   * first registered) or `'beginning'` (everything still in the stream).
   * @default 'new'
   */
  startFrom?: 'new' | 'beginning';
  /**
   * Idle time after which another consumer takes over an unacknowledged entry.
   * Running handlers keep their claim fresh, so this only bites when a consumer died.
   * @default durable.claimIdleMs of the module (30000)
   */
  claimIdleMs?: number;
  /**
   * Opt-in deduplication: a redelivered event whose `metadata.idempotencyKey`
   * (or id) was handled by this group within `windowMs` is acked without running.
   */
  idempotency?: { windowMs: number };
}

/**
 * What `@OnEvent` stores on a method.
 */
export interface OnEventMetadata {
  pattern: string;
  options: OnEventOptions;
}
