import { EventBusError } from '../errors/event-bus.error.js';
import type { GatewayAckCode } from './interfaces.js';

/**
 * Refuses a client message with an ack code. Thrown by the gateway's handlers
 * (and usable in an app's own gateway handlers); `GatewayAckFilter` turns it
 * into `{ ok: false, code, error }`. Its `code` is the ack code itself.
 *
 * @publicApi
 */
export class GatewayAckError extends EventBusError {
  declare readonly code: GatewayAckCode;

  constructor(code: GatewayAckCode, message: string) {
    super(message, code);
  }
}
