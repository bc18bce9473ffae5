/** Stream and group both sides use: the bus' own key for type `bench.job`, so Redis does the same work. */
export const DURABLE_TYPE = 'bench.job';
export const DURABLE_PATTERN = 'bench.*';
export const STREAM_KEY = 'eventbus:{bench}:stream';
export const GROUP = 'bench-workers';
/**
 * XREADGROUP COUNT of the baseline, and the bus' `durable.batchSize` and
 * handler concurrency: both sides fetch up to 100 entries per round trip.
 */
export const BATCH = 100;
/** XREADGROUP BLOCK of both sides, ms. */
export const BLOCK_MS = 1000;

/**
 * A producer child is the fan-out bench's publisher loop: as fast as `window`
 * concurrent publishes allow, or at a fixed `rate` for the latency phase.
 */
export { runPublisher as runProducer } from '../fanout/publisher-common.js';
