import type * as PromClient from 'prom-client';
import type { ResolvedMetricsOptions } from '../event-bus.config.js';
import { loadOptionalPackage } from '../optional-package.util.js';
import type { GatewayStats } from './interfaces.js';

/**
 * The gateway's figures in the bus' Prometheus registry (when `metrics.enabled`):
 * sockets and users connected to this instance, events emitted and replayed,
 * and refusals by reason. Read from `getStats()` on scrape.
 */
export class GatewayMetrics {
  private readonly names: string[] = [];

  private constructor(
    private readonly registry: PromClient.Registry,
    prom: typeof PromClient,
    prefix: string,
    stats: () => GatewayStats,
  ) {
    const add = <T extends PromClient.Metric>(metric: T, name: string) => {
      this.names.push(name);
      registry.registerMetric(metric);
    };
    const gauge = (
      name: string,
      help: string,
      read: (s: GatewayStats) => number,
    ) =>
      add(
        new prom.Gauge({
          name: prefix + name,
          help,
          registers: [],
          collect() {
            this.set(read(stats()));
          },
        }),
        prefix + name,
      );
    const counter = (
      name: string,
      help: string,
      read: (s: GatewayStats) => number,
    ) =>
      add(
        new prom.Counter({
          name: prefix + name,
          help,
          registers: [],
          collect() {
            this.reset();
            this.inc(read(stats()));
          },
        }),
        prefix + name,
      );
    gauge(
      'gateway_sockets',
      'Sockets connected to this gateway instance.',
      s => s.sockets,
    );
    gauge(
      'gateway_users',
      'Distinct users connected to this gateway instance.',
      s => s.users,
    );
    counter(
      'gateway_events_emitted_total',
      'Events this instance emitted to a room (once per event and room, whatever the sockets).',
      s => s.eventsEmitted,
    );
    counter(
      'gateway_events_replayed_total',
      'Missed events replayed to recovering sockets.',
      s => s.eventsReplayed,
    );
    counter(
      'gateway_rooms_not_repaired_total',
      'Rooms whose events during a bus outage could not all be replayed to their sockets here.',
      s => s.roomsNotRepaired,
    );
    const rejected = new prom.Counter({
      name: `${prefix}gateway_rejected_total`,
      help: 'Handshakes and client messages refused, by reason.',
      labelNames: ['reason'],
      registers: [],
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(stats().rejected))
          this.inc({ reason }, count);
      },
    });
    add(rejected, `${prefix}gateway_rejected_total`);
  }

  /** The metrics, or undefined when metrics are off. */
  static async create(
    options: ResolvedMetricsOptions,
    stats: () => GatewayStats,
  ): Promise<GatewayMetrics | undefined> {
    if (!options.enabled) return undefined;
    const prom = await loadOptionalPackage<typeof PromClient>(
      'prom-client',
      '^15',
      'Option metrics.enabled',
      () => import('prom-client'),
    );
    const registry =
      (options.registry as PromClient.Registry | undefined) ?? prom.register;
    return new GatewayMetrics(registry, prom, options.prefix, stats);
  }

  remove(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name);
  }
}
