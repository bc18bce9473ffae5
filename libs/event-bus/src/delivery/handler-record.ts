import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import type { RetryOptions } from '../interfaces/retry-options.interface.js';
import type { EventPredicate } from '../matching/event-filter.js';
import type { ConcurrencyLimiter } from './concurrency-limiter.js';

/** A handler as the invoker runs it: the callable plus its resolved options. */
export interface HandlerRecord {
  id: string;
  /** `ClassName.method` or `subscribe(<pattern>)#<id>`, for logs. */
  name: string;
  pattern: string;
  call: (event: EventEnvelope) => unknown;
  retry: RetryOptions;
  timeout: number;
  filter?: EventPredicate;
  limiter: ConcurrencyLimiter;
}
