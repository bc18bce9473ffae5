import { EventBusError } from '../errors/event-bus.error.js';

/**
 * Thrown by an authenticator to turn a handshake away. The client gets
 * `connect_error` with message `unauthorized` and `data.reason` set to `reason`.
 *
 * @publicApi
 */
export class SocketAuthError extends EventBusError {
  constructor(public readonly reason: string) {
    super(reason, 'SOCKET_AUTH');
  }
}
