import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { resolveConfig } from '../event-bus.config.js';
import {
  createTypeLabeler,
  OTHER_TYPE_LABEL,
  TypeMetrics,
  UNKNOWN_TYPE_LABEL,
} from './type-metrics.js';

describe('createTypeLabeler', () => {
  it.each([
    [1, 'photo.processing.progress', 'photo'],
    [2, 'photo.processing.progress', 'photo.processing'],
    [2, 'photo.uploaded', 'photo.uploaded'],
    [2, 'photo', 'photo'],
    [3, 'order.42.paid', 'order.42.paid'],
    [2, 'order.42.paid', 'order.42'],
  ])('keeps the first %i segment(s) of %s: %s', (typeSegments, type, label) => {
    expect(createTypeLabeler({ typeSegments })(type)).toBe(label);
  });

  it('with an allowlist, labels by the first matching pattern and the rest as _other', () => {
    const label = createTypeLabeler({
      typeSegments: 2,
      typeAllowlist: ['photo.uploaded', 'photo.**', 'notification.*'],
    });
    expect(label('photo.uploaded')).toBe('photo.uploaded');
    expect(label('photo.processing.progress')).toBe('photo.**');
    expect(label('notification.new')).toBe('notification.*');
    expect(label('notification.new.x')).toBe(OTHER_TYPE_LABEL);
    expect(label('user.42.online')).toBe(OTHER_TYPE_LABEL);
  });
});

describe('TypeMetrics', () => {
  it('shares one set of counts between the types of a label', () => {
    const metrics = new TypeMetrics({ typeSegments: 2, maxTypeLabels: 10 });
    metrics.countsOf('photo.processing.started').published++;
    metrics.countsOf('photo.processing.progress').published += 4;
    metrics.countsOf('photo.uploaded').delivered++;
    expect(
      [...metrics.labels()].map(c => [c.label, c.published, c.delivered]),
    ).toEqual([
      ['photo.processing', 5, 0],
      ['photo.uploaded', 0, 1],
    ]);
  });

  it('caps the number of labels: past maxTypeLabels everything counts under _other', () => {
    const metrics = new TypeMetrics({ typeSegments: 2, maxTypeLabels: 3 });
    for (let i = 0; i < 50; i++)
      metrics.countsOf(`order.${i}.paid`).published++;
    const labels = [...metrics.labels()];
    expect(labels.map(c => c.label)).toEqual([
      'order.0',
      'order.1',
      'order.2',
      OTHER_TYPE_LABEL,
    ]);
    expect(labels.find(c => c.label === OTHER_TYPE_LABEL)!.published).toBe(47);
    // Known labels keep counting after the cap.
    metrics.countsOf('order.1.paid').published++;
    expect(labels.find(c => c.label === 'order.1')!.published).toBe(2);
  });

  it('counts an unreadable type under _unknown', () => {
    const metrics = new TypeMetrics({ typeSegments: 2, maxTypeLabels: 10 });
    metrics.countsOf(undefined).malformed++;
    expect([...metrics.labels()]).toEqual([
      expect.objectContaining({ label: UNKNOWN_TYPE_LABEL, malformed: 1 }),
    ]);
  });

  it('keeps counting when many distinct types overflow its type cache', () => {
    const metrics = new TypeMetrics({ typeSegments: 1, maxTypeLabels: 10 });
    for (let i = 0; i < 25_000; i++) metrics.countsOf(`job.n${i}`).published++;
    expect([...metrics.labels()]).toEqual([
      expect.objectContaining({ label: 'job', published: 25_000 }),
    ]);
  });

  it('passes handler durations to the sink by label, and drops them without one', () => {
    const metrics = new TypeMetrics({ typeSegments: 1, maxTypeLabels: 10 });
    metrics.observeDuration('photo.uploaded', true, 0.5);
    const seen: unknown[] = [];
    metrics.durationSink = (label, ok, seconds) =>
      seen.push([label, ok, seconds]);
    metrics.observeDuration('photo.uploaded', false, 0.25);
    expect(seen).toEqual([['photo', false, 0.25]]);
  });
});

describe('metrics options', () => {
  const resolve = (metrics: object) =>
    resolveConfig({ serviceName: 'svc', metrics }).metrics;

  it('defaults to off, prefix eventbus_, 2 segments, 100 labels', () => {
    expect(resolveConfig({ serviceName: 'svc' }).metrics).toEqual({
      enabled: false,
      prefix: 'eventbus_',
      typeSegments: 2,
      maxTypeLabels: 100,
      durationBuckets: [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
      ],
    });
  });

  it.each([
    [{ prefix: 'event-bus' }, /metrics.prefix/],
    [{ typeSegments: 0 }, /metrics.typeSegments/],
    [{ typeSegments: 1.5 }, /metrics.typeSegments/],
    [{ typeAllowlist: ['Photo Uploaded'] }, /metrics.typeAllowlist/],
    [{ durationBuckets: [1, 0.5] }, /metrics.durationBuckets/],
    [{ maxTypeLabels: -1 }, /metrics.maxTypeLabels/],
  ])('refuses %j with an error naming the option', (metrics, message) => {
    expect(() => resolve(metrics)).toThrow(InvalidConfigurationError);
    expect(() => resolve(metrics)).toThrow(message);
  });
});
