import { EventBusError } from './event-bus.error.js';

/**
 * A handler ran longer than its `timeout`. The bus counts it as a failure and
 * retries; JavaScript cannot stop the running call, so it may still finish.
 *
 * @publicApi
 */
export class HandlerTimeoutError extends EventBusError {
  constructor(message: string) {
    super(message, 'HANDLER_TIMEOUT');
  }
}
