import type { OnApplicationShutdown } from '@nestjs/common';
import type * as PromClient from 'prom-client';
import type { EventBusMetrics } from '../delivery/event-bus-metrics.js';
import type { DeadLetterService } from '../durable/dead-letter.service.js';
import type { GroupLag } from '../durable/stream-store.interface.js';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type {
  EventBusConfig,
  ResolvedMetricsOptions,
} from '../event-bus.config.js';
import { messages } from '../event-bus.messages.js';
import type { EventBusService } from '../event-bus.service.js';
import type { EventTransport } from '../interfaces/transport.interface.js';
import { loadOptionalPackage } from '../optional-package.util.js';
import type { TypeCounts, TypeMetrics } from './type-metrics.js';
import { within } from '../within.util.js';
import {
  registerSchedulingMetrics,
  SCHEDULING_METRICS,
} from '../scheduling/scheduling.metrics.js';

type Prom = typeof PromClient;
type Registry = PromClient.Registry;

/** Longest a scrape waits for durable lag and dead-letter counts before leaving them out. */
const DURABLE_SCRAPE_TIMEOUT_MS = 1000;
/** A scrape reuses the durable figures read less than this long ago (every gauge asks for them). */
const DURABLE_SNAPSHOT_TTL_MS = 500;

const TYPE_COUNTERS: Array<
  [name: string, field: Exclude<keyof TypeCounts, 'label'>, help: string]
> = [
  [
    'events_published_total',
    'published',
    'Events accepted by publish() and sent, by type.',
  ],
  [
    'events_delivered_total',
    'delivered',
    'Handler calls that succeeded, by type.',
  ],
  [
    'events_failed_total',
    'failed',
    'Handler calls that failed after their last retry, by type.',
  ],
  [
    'events_retried_total',
    'retried',
    'Retries scheduled after a failed handler attempt, by type.',
  ],
  [
    'events_dead_lettered_total',
    'deadLettered',
    'Durable events moved to the dead letters, by type.',
  ],
  [
    'events_malformed_total',
    'malformed',
    'Messages dropped because they were not valid envelopes, by the type their channel names.',
  ],
  [
    'events_missed_total',
    'missed',
    "Fan-out events that never reached this process (a jump in their publisher's metadata.seq), by type.",
  ],
];

const OTHER_METRICS = [
  'events_received_total',
  'events_filtered_total',
  'events_skipped_total',
  'events_dropped_total',
  'transport_reconnects_total',
  'transport_subscriber_losses_total',
  'handlers_in_flight',
  'subscriptions',
  'transport_connected',
  'handler_duration_seconds',
  'durable_pending',
  'durable_lag',
  'dead_letters',
  ...SCHEDULING_METRICS,
];

interface DurableSnapshot {
  groups: GroupLag[];
  deadLetters: Map<string, number>;
}

/**
 * Publishes the bus' numbers to a prom-client registry. Counters are read from
 * `EventBusMetrics` on scrape (`collect`), so the hot path never touches
 * prom-client; only handler durations are observed as they happen. Created by
 * `EventBusModule` when `metrics.enabled` is set, which is also when prom-client
 * is imported.
 */
export class PrometheusExporter implements OnApplicationShutdown {
  private readonly registry: Registry;
  private readonly names: string[] = [];
  private detachScheduling?: () => void;
  private snapshot?: {
    at: number;
    value: Promise<DurableSnapshot | undefined>;
  };

  /** The exporter, or null when metrics are off (then prom-client is never imported). */
  static async create(
    config: EventBusConfig,
    metrics: EventBusMetrics,
    transport: EventTransport,
    bus: EventBusService,
    deadLetters: DeadLetterService,
  ): Promise<PrometheusExporter | null> {
    if (!config.metrics.enabled || !metrics.byType) return null;
    const prom = await loadOptionalPackage<Prom>(
      'prom-client',
      '^15',
      'Option metrics.enabled',
      () => import('prom-client'),
    );
    return new PrometheusExporter(
      prom,
      config.metrics,
      metrics,
      metrics.byType,
      transport,
      bus,
      deadLetters,
    );
  }

  private constructor(
    prom: Prom,
    private readonly options: ResolvedMetricsOptions,
    private readonly metrics: EventBusMetrics,
    private readonly byType: TypeMetrics,
    private readonly transport: EventTransport,
    private readonly bus: EventBusService,
    private readonly deadLetterService: DeadLetterService,
  ) {
    const registry = (this.registry = (options.registry ??
      prom.register) as Registry);
    const p = options.prefix;
    // Checked before creating any, so that a clash leaves the registry as it was.
    for (const name of [...TYPE_COUNTERS.map(([n]) => n), ...OTHER_METRICS])
      this.claim(registry, p + name);
    const registers = [registry];

    for (const [name, field, help] of TYPE_COUNTERS) {
      const counter: PromClient.Counter<'type'> = new prom.Counter({
        name: p + name,
        help,
        labelNames: ['type'],
        registers,
        collect: () => {
          counter.reset();
          for (const counts of this.byType.labels())
            counter.inc({ type: counts.label }, counts[field]);
        },
      });
    }
    const total = (name: string, help: string, read: () => number) => {
      const counter: PromClient.Counter = new prom.Counter({
        name: p + name,
        help,
        registers,
        collect: () => {
          counter.reset();
          counter.inc(read());
        },
      });
    };
    total(
      'events_received_total',
      'Messages received from the transport, once each however many subscribed patterns match.',
      () => this.metrics.received,
    );
    total(
      'events_filtered_total',
      "Events a handler's filter or guard turned away.",
      () => this.metrics.filtered,
    );
    total(
      'events_skipped_total',
      'Durable entries a group acknowledged without running: another type on a stream it reads, or a replay for another group.',
      () => this.metrics.skipped,
    );
    total(
      'events_dropped_total',
      "Events dropped because a handler's queue was full or the bus was shutting down.",
      () => this.metrics.dropped,
    );
    total(
      'transport_reconnects_total',
      'Reconnections of the transport since start.',
      () => this.transport.reconnects,
    );
    total(
      'transport_subscriber_losses_total',
      'Losses of the subscriber connection after it was ready (e.g. cut by Redis for a full pub/sub output buffer): events published meanwhile were missed.',
      () => this.transport.subscriberLosses ?? 0,
    );

    const gauge = (name: string, help: string, read: () => number) => {
      const metric: PromClient.Gauge = new prom.Gauge({
        name: p + name,
        help,
        registers,
        collect: () => metric.set(read()),
      });
    };
    gauge(
      'handlers_in_flight',
      'Handler calls running now.',
      () => this.metrics.inFlight,
    );
    gauge(
      'subscriptions',
      'Active handlers and subscriptions.',
      () => this.bus.getStats().activeSubscriptions,
    );
    gauge(
      'transport_connected',
      '1 when every connection of the transport is up.',
      () => (this.bus.isConnected() ? 1 : 0),
    );

    const histogram = new prom.Histogram({
      name: p + 'handler_duration_seconds',
      help: 'Run time of one handler call (one attempt), by type and outcome.',
      labelNames: ['type', 'outcome'],
      buckets: options.durationBuckets,
      registers,
    });
    this.byType.durationSink = (label, ok, seconds) =>
      histogram.observe(
        { type: label, outcome: ok ? 'success' : 'failure' },
        seconds,
      );

    const perGroup = (
      name: string,
      help: string,
      read: (group: GroupLag) => number | null,
    ) => {
      const metric: PromClient.Gauge<'stream' | 'group'> = new prom.Gauge({
        name: p + name,
        help,
        labelNames: ['stream', 'group'],
        registers,
        collect: async () => {
          const snapshot = await this.durableSnapshot();
          metric.reset();
          for (const group of snapshot?.groups ?? []) {
            const value = read(group);
            if (value !== null)
              metric.set({ stream: group.stream, group: group.group }, value);
          }
        },
      });
    };
    perGroup(
      'durable_pending',
      'Durable entries delivered to a consumer of the group and not yet acknowledged.',
      g => g.pending,
    );
    perGroup(
      'durable_lag',
      'Durable entries not yet delivered to the group (Redis 7+).',
      g => g.lag,
    );
    const deadLetters: PromClient.Gauge<'stream'> = new prom.Gauge({
      name: p + 'dead_letters',
      help: 'Dead letters waiting to be replayed or purged, by stream (first segment of the type).',
      labelNames: ['stream'],
      registers,
      collect: async () => {
        const snapshot = await this.durableSnapshot();
        deadLetters.reset();
        for (const [stream, count] of snapshot?.deadLetters ?? [])
          deadLetters.set({ stream }, count);
      },
    });
    this.detachScheduling = registerSchedulingMetrics(
      prom,
      registers,
      p,
      metrics.scheduling,
      () => this.bus.countDelayed(),
    );
  }

  /** Removes the metrics, so that a new bus in the same process can register them again. */
  onApplicationShutdown(): void {
    this.byType.durationSink = undefined;
    this.detachScheduling?.();
    for (const name of this.names) this.registry.removeSingleMetric(name);
  }

  private claim(registry: Registry, name: string): void {
    if (registry.getSingleMetric(name))
      throw new InvalidConfigurationError(
        messages.metricAlreadyRegistered(name),
      );
    this.names.push(name);
  }

  /**
   * Durable lag and dead-letter count, read at most once per scrape. Left out
   * (undefined) while the transport is down or slower than the scrape timeout,
   * rather than making the scrape wait for Redis' reconnect queue.
   */
  private durableSnapshot(): Promise<DurableSnapshot | undefined> {
    const now = Date.now();
    if (this.snapshot && now - this.snapshot.at < DURABLE_SNAPSHOT_TTL_MS)
      return this.snapshot.value;
    const value = this.bus.isConnected()
      ? readWithin(this.bus, this.deadLetterService, DURABLE_SCRAPE_TIMEOUT_MS)
      : Promise.resolve(undefined);
    this.snapshot = { at: now, value };
    return value;
  }
}

function readWithin(
  bus: EventBusService,
  deadLetters: DeadLetterService,
  timeoutMs: number,
): Promise<DurableSnapshot | undefined> {
  const read = Promise.all([
    bus.getDurableLag(),
    deadLetters.countByStream(),
  ]).then(
    ([groups, deadLetters]) => ({ groups, deadLetters }),
    () => undefined,
  );
  return within(read, timeoutMs);
}
