import { EventBusError } from './event-bus.error.js';

/**
 * The transport cannot take the event now (Redis unreachable with a full buffer,
 * or the bus already shut down). Nothing was sent: retrying is safe.
 *
 * @publicApi
 */
export class EventBusUnavailableError extends EventBusError {
  constructor(message: string) {
    super(message, 'EVENT_BUS_UNAVAILABLE');
  }
}
