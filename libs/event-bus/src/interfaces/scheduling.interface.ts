/**
 * When a repeatable event fires: every `every` ms, or at the times of a cron
 * expression (`cron`, evaluated in `tz`, UTC by default). Exactly one of
 * `every` and `cron`.
 *
 * @example { every: 60_000 }
 * @example { cron: '0 9 * * 1-5', tz: 'Europe/Paris' }
 *
 * @publicApi
 */
export type ScheduleSpec =
  | { every: number; cron?: undefined; tz?: undefined }
  | { cron: string; tz?: string; every?: undefined };

/**
 * A schedule as `listSchedules()` shows it.
 *
 * @publicApi
 */
export interface ScheduleInfo {
  name: string;
  type: string;
  data: unknown;
  every?: number;
  cron?: string;
  tz?: string;
  /** When it fires next. */
  nextDueAt: Date;
}

/**
 * Settings of delayed publishes (`publish(..., { delay | at })`) and schedules.
 * Due entries are moved by whichever instance holds a short lease in Redis,
 * checked every `pollIntervalMs`.
 *
 * @publicApi
 */
export interface SchedulingModuleOptions {
  /**
   * How often the instance holding the lease moves what is due, in ms: an
   * event fires at most this much after its due time (plus a lease takeover
   * when the holder died).
   * @default 1000
   */
  pollIntervalMs?: number;
  /**
   * How long the lease lasts without renewal, in ms; another instance takes
   * over this long after the holder stopped. At least twice `pollIntervalMs`.
   * @default 5000
   */
  leaseMs?: number;
  /**
   * Delayed events moved per script call (per stream).
   * @default 100
   */
  batchSize?: number;
  /**
   * false: this instance stores delayed events and schedules but never moves
   * them (another instance must).
   * @default true
   */
  mover?: boolean;
}
