import { Catch, type ArgumentsHost } from '@nestjs/common';
import { EventBusUnavailableError } from '@shared-infra/event-bus';
import {
  GatewayAckError,
  GatewayAckFilter,
} from '@shared-infra/event-bus/gateway';

/** What ioredis throws while Redis is away: by name and text (its error classes are not exported). */
const REDIS_OUTAGE_NAMES = new Set(['MaxRetriesPerRequestError', 'AbortError']);
const REDIS_OUTAGE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT']);

/** Whether `error` says the chat store (Redis) or the bus cannot be reached now, not that a request is wrong. */
export function isOutage(error: unknown): boolean {
  if (error instanceof EventBusUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  return (
    REDIS_OUTAGE_NAMES.has(error.name) ||
    REDIS_OUTAGE_CODES.has((error as NodeJS.ErrnoException).code ?? '') ||
    error.message === 'Connection is closed.'
  );
}

/**
 * The gateway's ack filter for the chat, with a store or bus outage answered
 * `unavailable` (retry later) rather than `internal`: a client can then tell
 * "try again" from a bug, and the log keeps its errors for bugs (the store
 * warns about its connection once per outage).
 */
@Catch()
export class ChatAckFilter extends GatewayAckFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    super.catch(
      isOutage(exception)
        ? new GatewayAckError(
            'unavailable',
            'the chat is unavailable (its store cannot be reached); try again',
          )
        : exception,
      host,
    );
  }
}
