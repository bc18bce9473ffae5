import { EventBusError } from './event-bus.error.js';

/**
 * Module options or handler options that cannot work, found at bootstrap.
 *
 * @publicApi
 */
export class InvalidConfigurationError extends EventBusError {
  constructor(message: string) {
    super(message, 'INVALID_CONFIGURATION');
  }
}
