/**
 * What each instance tells the dashboard about itself, every `refreshMs`:
 * its bus counters and rates, and its gateway's sockets, users and rooms.
 *
 * @publicApi
 */
export interface InstanceReport {
  /** The gateway's instance id when the app runs the gateway (as in its presence records), else a process id. */
  instanceId: string;
  service: string;
  host: string;
  pid: number;
  /** When this report was made (ms since the epoch). */
  reportedAt: number;
  /** After this long without a new report the instance is taken for gone (3 × its `refreshMs`). */
  staleAfterMs: number;
  bus: {
    transport: 'memory' | 'redis';
    connected: boolean;
    published: number;
    delivered: number;
    failed: number;
    deadLettered: number;
    inFlight: number;
    subscriptions: number;
    /** Since the previous report. */
    publishedPerSecond: number;
    deliveredPerSecond: number;
  };
  /** Rates per `type` label (see the bus' `metrics` option); null when `metrics` is off. */
  types: TypeRate[] | null;
  /** Null when this instance does not run `EventBusGatewayModule`. */
  gateway: {
    sockets: number;
    users: number;
    connectedClients: number;
    activeRooms: number;
    eventsEmitted: number;
  } | null;
}

/**
 * Events per second of one `type` label, since the previous report.
 *
 * @publicApi
 */
export interface TypeRate {
  type: string;
  publishedPerSecond: number;
  deliveredPerSecond: number;
  failedPerSecond: number;
}

/** Rounds a rate to 2 decimals, as the bus' own `messagesPerSecond`. */
export function perSecond(delta: number, seconds: number): number {
  return seconds > 0 ? Math.round((delta / seconds) * 100) / 100 : 0;
}

/** The instances' rates added up per type, busiest first. */
export function sumTypeRates(reports: InstanceReport[]): TypeRate[] {
  const sums = new Map<string, TypeRate>();
  for (const report of reports) {
    for (const rate of report.types ?? []) {
      const sum = sums.get(rate.type);
      if (!sum) sums.set(rate.type, { ...rate });
      else {
        sum.publishedPerSecond += rate.publishedPerSecond;
        sum.deliveredPerSecond += rate.deliveredPerSecond;
        sum.failedPerSecond += rate.failedPerSecond;
      }
    }
  }
  const round = (n: number) => Math.round(n * 100) / 100;
  return [...sums.values()]
    .map(r => ({
      type: r.type,
      publishedPerSecond: round(r.publishedPerSecond),
      deliveredPerSecond: round(r.deliveredPerSecond),
      failedPerSecond: round(r.failedPerSecond),
    }))
    .sort(
      (a, b) =>
        b.publishedPerSecond +
          b.deliveredPerSecond -
          (a.publishedPerSecond + a.deliveredPerSecond) ||
        a.type.localeCompare(b.type),
    );
}
