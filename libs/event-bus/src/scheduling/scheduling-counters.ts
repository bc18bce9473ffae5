/** What fired: a delayed publish come due, or a schedule's due time. */
export type FireKind = 'delayed' | 'schedule';

/**
 * Counts of delayed publishes and schedule fires on this instance, kept by
 * `EventBusMetrics` and read by the Prometheus exporter on scrape.
 */
export class SchedulingCounters {
  /** Delayed publishes this instance stored. */
  delayed = 0;
  /** Delayed events this instance moved when due. */
  firedDelayed = 0;
  /** Schedule fires this instance made. */
  firedSchedules = 0;
  /** The latest fire's lateness (ms after its due time). */
  lastLateMs = 0;
  /** The exporter's histogram of lateness, when metrics are on. */
  lateSink?: (kind: FireKind, seconds: number) => void;

  recordFired(kind: FireKind, lateMs: number): void {
    if (kind === 'delayed') this.firedDelayed++;
    else this.firedSchedules++;
    this.lastLateMs = Math.max(0, lateMs);
    this.lateSink?.(kind, this.lastLateMs / 1000);
  }
}
