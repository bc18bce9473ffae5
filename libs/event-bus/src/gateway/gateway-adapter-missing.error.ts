import { EventBusError } from '../errors/event-bus.error.js';
import { messages } from '../event-bus.messages.js';

/**
 * The app starts the gateway without `EventBusIoAdapter` (it set no WebSocket
 * adapter, or one that does not build its server through it): the gateway's
 * limits, origins, shutdown and cross-instance adapter would not apply.
 *
 * @publicApi
 */
export class GatewayAdapterMissingError extends EventBusError {
  constructor() {
    super(messages.gatewayAdapterMissing(), 'GATEWAY_ADAPTER_MISSING');
  }
}
