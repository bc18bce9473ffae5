import type * as PromClient from 'prom-client';
import { within } from '../within.util.js';
import type { SchedulingCounters } from './scheduling-counters.js';

/** Metric names (after the prefix) that `registerSchedulingMetrics` creates. */
export const SCHEDULING_METRICS = [
  'delayed_published_total',
  'scheduled_fired_total',
  'scheduled_late_seconds',
  'delayed_pending',
];

/** Buckets of lateness: a fire is due within one poll interval (1 s by default), later after a lease takeover. */
const LATE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];
/** Longest a scrape waits for the count of delayed events before leaving it out. */
const PENDING_TIMEOUT_MS = 1000;

/**
 * The Prometheus metrics of delayed publishes and schedules, read from
 * `SchedulingCounters` on scrape; the lateness histogram is observed at each fire.
 * Returns a function that detaches the histogram (shutdown).
 */
export function registerSchedulingMetrics(
  prom: typeof PromClient,
  registers: PromClient.Registry[],
  prefix: string,
  counters: SchedulingCounters,
  countDelayed: () => Promise<number>,
): () => void {
  const published: PromClient.Counter = new prom.Counter({
    name: prefix + 'delayed_published_total',
    help: 'Delayed publishes (delay or at) this instance stored.',
    registers,
    collect: () => {
      published.reset();
      published.inc(counters.delayed);
    },
  });
  const fired: PromClient.Counter<'kind'> = new prom.Counter({
    name: prefix + 'scheduled_fired_total',
    help: 'Delayed events (kind "delayed") and schedule fires (kind "schedule") this instance moved into their streams and channels when due.',
    labelNames: ['kind'],
    registers,
    collect: () => {
      fired.reset();
      fired.inc({ kind: 'delayed' }, counters.firedDelayed);
      fired.inc({ kind: 'schedule' }, counters.firedSchedules);
    },
  });
  const late = new prom.Histogram({
    name: prefix + 'scheduled_late_seconds',
    help: 'How long after its due time each delayed event or schedule fire was moved, by kind.',
    labelNames: ['kind'],
    buckets: LATE_BUCKETS,
    registers,
  });
  counters.lateSink = (kind, seconds) => late.observe({ kind }, seconds);
  const pending: PromClient.Gauge = new prom.Gauge({
    name: prefix + 'delayed_pending',
    help: 'Delayed events waiting to come due, across instances (left out while the store does not answer).',
    registers,
    collect: async () => {
      const count = await within(
        countDelayed().catch(() => undefined),
        PENDING_TIMEOUT_MS,
      );
      pending.reset();
      if (count !== undefined) pending.set(count);
    },
  });
  return () => {
    counters.lateSink = undefined;
  };
}
