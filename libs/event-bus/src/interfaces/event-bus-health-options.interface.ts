/**
 * Limits past which `EventBusHealthIndicator.isDurableHealthy()` reports down.
 * A limit left out is reported but not checked.
 *
 * @publicApi
 */
export interface DurableHealthThresholds {
  /**
   * Most entries a durable group may have in its stream not yet delivered to
   * any of its consumers (Redis 7+ reports it; older Redis skips this check).
   * @default undefined (not checked)
   */
  maxLag?: number;
  /**
   * Most entries a durable group may hold delivered but not yet acknowledged.
   * @default undefined (not checked)
   */
  maxPending?: number;
  /**
   * Most dead letters, all streams together.
   * @default undefined (not checked)
   */
  maxDeadLetters?: number;
}

/**
 * Options of `EventBusHealthModule.forRoot()`.
 *
 * @publicApi
 */
export interface EventBusHealthOptions {
  /**
   * Longest a check may take, in ms; past it the indicator reports
   * down with `timeout of <N>ms exceeded`.
   * @default 1000
   */
  timeout?: number;
  /**
   * Default thresholds of `isDurableHealthy()`; its second argument overrides them.
   * @default {} (report lag, pending and dead letters without checking them)
   * @example { maxPending: 1000, maxLag: 10000, maxDeadLetters: 0 }
   */
  durable?: DurableHealthThresholds;
}
