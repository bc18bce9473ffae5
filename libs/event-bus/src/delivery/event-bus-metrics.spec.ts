import type { EventBusConfig } from '../event-bus.config.js';
import { resolveConfig } from '../event-bus.config.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import { EventBusMetrics } from './event-bus-metrics.js';

const config = (enabled: boolean): EventBusConfig =>
  resolveConfig({ serviceName: 'svc', metrics: { enabled, typeSegments: 1 } });
const event = (type: string) =>
  ({
    id: 'e1',
    type,
    data: null,
    metadata: {
      source: 's',
      timestamp: new Date().toISOString(),
      traceId: 't',
    },
    version: 1,
  }) as EventEnvelope;

describe('EventBusMetrics', () => {
  it('with metrics off counts totals only and leaves handlers unwrapped', () => {
    const metrics = new EventBusMetrics(config(false));
    const call = () => undefined;
    metrics.recordPublished('photo.uploaded');
    metrics.recordFailure('photo.uploaded');
    expect(metrics.byType).toBeUndefined();
    expect(metrics.instrument(call)).toBe(call);
    expect([metrics.published, metrics.failed]).toEqual([1, 1]);
  });

  it('with metrics on, the same calls count the totals and the per-type counts', () => {
    const metrics = new EventBusMetrics(config(true));
    metrics.recordPublished('photo.uploaded');
    metrics.recordPublished('video.uploaded');
    metrics.recordDelivery(5, 'photo.uploaded');
    metrics.recordRetry('photo.uploaded');
    metrics.recordFailure('photo.uploaded');
    metrics.recordDeadLetter('photo.uploaded');
    metrics.recordMalformed(undefined);
    metrics.recordMissed('photo.uploaded', 3);
    expect([
      metrics.published,
      metrics.delivered,
      metrics.retried,
      metrics.failed,
      metrics.deadLettered,
      metrics.malformed,
      metrics.missed,
    ]).toEqual([2, 1, 1, 1, 1, 1, 3]);
    const byLabel = Object.fromEntries(
      [...metrics.byType!.labels()].map(({ label, ...counts }) => [
        label,
        counts,
      ]),
    );
    expect(byLabel).toEqual({
      photo: {
        published: 1,
        delivered: 1,
        failed: 1,
        retried: 1,
        deadLettered: 1,
        malformed: 0,
        missed: 3,
      },
      video: {
        published: 1,
        delivered: 0,
        failed: 0,
        retried: 0,
        deadLettered: 0,
        malformed: 0,
        missed: 0,
      },
      _unknown: {
        published: 0,
        delivered: 0,
        failed: 0,
        retried: 0,
        deadLettered: 0,
        malformed: 1,
        missed: 0,
      },
    });
  });

  it('times sync and async handlers, successes and failures, and returns their own results', async () => {
    const metrics = new EventBusMetrics(config(true));
    const seen: Array<[string, boolean]> = [];
    metrics.byType!.durationSink = (label, ok) => seen.push([label, ok]);
    const promise = Promise.resolve('done');
    expect(metrics.instrument(() => promise)(event('a.x'))).toBe(promise);
    expect(metrics.instrument(() => 42)(event('b.x'))).toBe(42);
    expect(() =>
      metrics.instrument(() => {
        throw new Error('sync');
      })(event('c.x')),
    ).toThrow('sync');
    await expect(
      metrics.instrument(() => Promise.reject(new Error('async')))(
        event('d.x'),
      ),
    ).rejects.toThrow('async');
    await promise;
    expect(seen.sort()).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
      ['d', false],
    ]);
  });
});
