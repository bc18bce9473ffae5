import type { GatewayAckCode } from './protocol.js';

/**
 * Why a request failed: the gateway's refusal code, or one of the client's own:
 * `timeout` (no ack within `ackTimeoutMs`; the server may still have acted),
 * `disconnected` (the connection dropped before the ack), `closed` (the client was closed).
 *
 * @publicApi
 */
export type ClientAckCode =
  GatewayAckCode | 'timeout' | 'disconnected' | 'closed' | (string & {});

/**
 * A gateway refusal (`{ ok: false, code, error }`) or a request the client could
 * not complete.
 *
 * @example
 * try { await client.publish('chat.message', { text }); }
 * catch (error) { if (error instanceof ClientAckError && error.code === 'rate_limited') … }
 *
 * @publicApi
 */
export class ClientAckError extends Error {
  override readonly name = 'ClientAckError';

  constructor(
    readonly code: ClientAckCode,
    message: string,
    /** The room, for `subscribe` and `signal`. */
    readonly room?: string,
  ) {
    super(message);
  }
}

/**
 * The gateway refused the handshake for good (`connect_error` "unauthorized"
 * with no fresh token to retry with); `reason` is the server's
 * (`token expired`, `invalid token: …`, `missing token…`).
 *
 * @publicApi
 */
export class ClientAuthError extends Error {
  override readonly name = 'ClientAuthError';

  constructor(readonly reason: string) {
    super(`the event bus gateway refused the connection: ${reason}`);
  }
}
