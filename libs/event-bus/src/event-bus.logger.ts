import { Logger } from '@nestjs/common';

const ORDER = { debug: 0, log: 1, warn: 2, error: 3 } as const;

/** Lines of one kind logged per window before the rest are only counted. */
export const LOG_BURST = 10;
/** The window of `LOG_BURST`, in ms; a summary of what was held back ends it. */
export const LOG_WINDOW_MS = 10_000;

/** One kind of repeating line in its current window. */
interface LogWindow {
  logged: number;
  suppressed: number;
  timer?: NodeJS.Timeout;
}

/**
 * Nest `Logger` gated by the module's `logLevel`, so a noisy bus can be quietened
 * without touching the application's logger.
 */
export class EventBusLogger {
  private readonly logger: Logger;
  private readonly min: number;
  /** Windows of the lines that can repeat per event, by kind. */
  private readonly windows = new Map<string, LogWindow>();

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

  /**
   * For a line that can repeat per event (a drop, a failure, a malformed
   * message): the first `LOG_BURST` of a `kind` in `LOG_WINDOW_MS` are logged
   * at `level`, the rest at debug only; when the window ends a timer logs how
   * many were held back, so a flood ends with its summary even if nothing follows.
   */
  limited(
    kind: string,
    level: 'warn' | 'error',
    message: string,
    stack?: string,
  ): void {
    if (level === 'warn' && this.min > ORDER.warn) return;
    let window = this.windows.get(kind);
    if (!window) {
      this.windows.set(kind, (window = { logged: 0, suppressed: 0 }));
      window.timer = setTimeout(
        () => this.closeWindow(kind, level),
        LOG_WINDOW_MS,
      );
      window.timer.unref();
    }
    if (window.logged < LOG_BURST) {
      window.logged++;
      if (level === 'warn') this.logger.warn(message);
      else this.logger.error(message, stack);
      return;
    }
    window.suppressed++;
    this.debug(message);
  }

  private closeWindow(kind: string, level: 'warn' | 'error'): void {
    const window = this.windows.get(kind);
    this.windows.delete(kind);
    if (!window || window.suppressed === 0) return;
    const summary = `${window.suppressed} more "${kind}" lines in the last ${LOG_WINDOW_MS / 1000} s were not logged (at most ${LOG_BURST} per ${LOG_WINDOW_MS / 1000} s; all of them at debug level).`;
    if (level === 'warn') this.logger.warn(summary);
    else this.logger.error(summary);
  }
}

/** `event <id> (<type>, trace <traceId>)`: the tag every log line about an event carries. */
export function eventTag(event: {
  id?: string;
  type?: string;
  metadata?: { traceId?: string };
}): string {
  return `event ${event.id ?? '?'} (${event.type ?? '?'}, trace ${event.metadata?.traceId ?? '?'})`;
}
