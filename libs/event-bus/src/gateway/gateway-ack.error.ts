import type { GatewayAckCode } from './interfaces.js';

/**
 * Refuses a client message with an ack code. Thrown by the gateway's handlers
 * (and usable in an app's own gateway handlers); `GatewayAckFilter` turns it
 * into `{ ok: false, code, error }`.
 *
 * @publicApi
 */
export class GatewayAckError extends Error {
  constructor(
    public readonly code: GatewayAckCode,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayAckError';
  }
}
