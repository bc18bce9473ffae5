import { Logger } from '@nestjs/common';

const ORDER = { debug: 0, log: 1, warn: 2, error: 3 } as const;

/**
 * Nest `Logger` gated by the module's `logLevel`, so a noisy bus can be quietened
 * without touching the application's logger.
 */
export class EventBusLogger {
  private readonly logger: Logger;
  private readonly min: number;

  constructor(context: string, level: keyof typeof ORDER = 'log') {
    this.logger = new Logger(context);
    this.min = ORDER[level];
  }

  get debugEnabled(): boolean {
    return this.min <= ORDER.debug;
  }

  debug(message: string): void {
    if (this.min <= ORDER.debug) this.logger.debug(message);
  }

  log(message: string): void {
    if (this.min <= ORDER.log) this.logger.log(message);
  }

  warn(message: string): void {
    if (this.min <= ORDER.warn) this.logger.warn(message);
  }

  error(message: string, stack?: string): void {
    this.logger.error(message, stack);
  }
}

/** `event <id> (<type>, trace <traceId>)`: the tag every log line about an event carries. */
export function eventTag(event: { id?: string; type?: string; metadata?: { traceId?: string } }): string {
  return `event ${event.id ?? '?'} (${event.type ?? '?'}, trace ${event.metadata?.traceId ?? '?'})`;
}
