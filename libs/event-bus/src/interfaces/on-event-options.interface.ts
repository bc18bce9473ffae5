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
}

/**
 * What `@OnEvent` stores on a method.
 */
export interface OnEventMetadata {
  pattern: string;
  options: OnEventOptions;
}
