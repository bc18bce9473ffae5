/**
 * Counters since the bus started (see `EventBusService.getStats()`).
 *
 * @publicApi
 */
export interface EventBusStats {
  transport: 'memory' | 'redis';
  connected: boolean;
  /** Events accepted by `publish` and sent to the transport. */
  eventsPublished: number;
  /** Messages received from the transport, one per matching subscribed pattern. */
  eventsReceived: number;
  /** Successful handler calls. */
  eventsDelivered: number;
  /** Handler calls that failed after their last retry. */
  eventsFailed: number;
  /** Retries scheduled after a failed attempt. */
  eventsRetried: number;
  /** Events a handler's filter or guard turned away. */
  eventsFiltered: number;
  /**
   * Durable entries a group acknowledged without running because they were not for it: a type its
   * pattern does not match on a stream it reads (a wildcard group reads every stream), or a dead
   * letter replayed for another group.
   */
  eventsSkipped: number;
  /** Events dropped because a handler's queue was full or the bus was shutting down. */
  eventsDropped: number;
  /** Messages on the wire that were not valid JSON envelopes (never reach handlers). */
  eventsMalformed: number;
  /**
   * Times the transport's subscriber connection was lost after it had been
   * ready (e.g. cut by Redis for a full output buffer): the events published
   * until it subscribed again never reached this process.
   */
  subscriberLosses: number;
  /**
   * Fan-out events of types this process listens to that never reached it (a cut subscriber, a
   * Redis restart), counted exactly from jumps in each publisher's `metadata.seq` once a later
   * event of the same type and publisher arrives.
   */
  eventsMissed: number;
  /** Durable events moved to the dead letters. */
  eventsDeadLettered: number;
  activeSubscriptions: number;
  /** eventsFailed / (eventsDelivered + eventsFailed), 0 when nothing ran. */
  errorRate: number;
  /** Handler deliveries per second over the last 10 seconds. */
  messagesPerSecond: number;
  /** Mean time from an event's `metadata.timestamp` to its handler finishing, in ms. */
  averageLatency: number;
  /** Handler calls running right now. */
  inFlight: number;
  /** Seconds since the bus connected. */
  uptime: number;
  /** Delayed publishes (`delay`, `at`) this instance stored. */
  eventsDelayed: number;
  /** Delayed events this instance moved when due (it held the scheduling lease). */
  delayedFired: number;
  /** Schedule fires this instance made. */
  scheduleFires: number;
}

/**
 * One connection the bus holds.
 *
 * @publicApi
 */
export interface ConnectionHealth {
  name: string;
  status: 'up' | 'down';
  latencyMs?: number;
  error?: string;
}

/**
 * Result of `EventBusService.healthCheck()`.
 *
 * @publicApi
 */
export interface HealthCheckResult {
  status: 'healthy' | 'unhealthy';
  transport: 'memory' | 'redis';
  connections: ConnectionHealth[];
  activeSubscriptions: number;
  uptime: number;
  timestamp: string;
}
