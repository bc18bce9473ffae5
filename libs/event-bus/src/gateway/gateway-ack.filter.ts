import {
  Catch,
  HttpException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { EventBusLogger } from '../event-bus.logger.js';
import { GatewayAckError } from './gateway-ack.error.js';
import type { GatewayAck, GatewayAckCode } from './interfaces.js';

/**
 * Answers a failed client message through its ack, `{ ok: false, code, error }`,
 * instead of socket.io's `exception` event: validation errors are `invalid`,
 * guard refusals `forbidden`, anything unexpected `internal` (and logged).
 * Without an ack the message is dropped.
 *
 * @publicApi
 */
@Catch()
export class GatewayAckFilter implements ExceptionFilter {
  // One per filter instance; the gateway's own filter is made once, so its window is shared.
  private readonly logger = new EventBusLogger('EventBusGateway');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ack = host.getArgByIndex<unknown>(2);
    const reply = this.toAck(exception);
    if (typeof ack === 'function') (ack as (reply: GatewayAck) => void)(reply);
  }

  private toAck(exception: unknown): GatewayAck {
    if (exception instanceof GatewayAckError)
      return { ok: false, code: exception.code, error: exception.message };
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code: GatewayAckCode =
        status === 403 || status === 401
          ? 'forbidden'
          : status === 413
            ? 'too_large'
            : status === 429
              ? 'rate_limited'
              : 'invalid';
      const body = exception.getResponse() as { message?: unknown };
      const message = Array.isArray(body?.message)
        ? body.message.join('; ')
        : String(body?.message ?? exception.message);
      return { ok: false, code, error: message };
    }
    if (exception instanceof WsException) {
      const error = exception.getError();
      const message = typeof error === 'string' ? error : JSON.stringify(error);
      // Nest's guards refuse with WsException('Forbidden resource').
      return {
        ok: false,
        code: /forbidden/i.test(message) ? 'forbidden' : 'invalid',
        error: message,
      };
    }
    this.logger.limited(
      'unexpected gateway error',
      'error',
      `Unexpected error in a gateway handler: ${(exception as Error)?.message ?? String(exception)}`,
      (exception as Error)?.stack,
    );
    return { ok: false, code: 'internal', error: 'internal error' };
  }
}
