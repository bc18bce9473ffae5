import { EventBusError } from './event-bus.error.js';

/**
 * `@MessagePattern` handlers or `ClientProxy.send()` used with the event bus
 * transport. The bus carries events (fire and forget, to every subscriber);
 * request/response over it is refused on purpose, and the message says what to
 * use instead.
 *
 * @publicApi
 */
export class RequestResponseNotSupportedError extends EventBusError {
  constructor(message: string) {
    super(message, 'REQUEST_RESPONSE_NOT_SUPPORTED');
  }
}
