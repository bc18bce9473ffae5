import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
  jest,
} from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { EventBusService } from '@shared-infra/event-bus';
import { execFileSync } from 'node:child_process';
import { Registry } from 'prom-client';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { waitUntil } from './utils/collector.js';
import { parseMetrics, sampleValue } from './utils/prometheus.js';

/** Every warning logged from now on (still printed); `afterEach` restores the logger. */
function captureWarnings(): string[] {
  const warnings: string[] = [];
  const warn = Logger.prototype.warn;
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(function (
    this: Logger,
    message: unknown,
    ...rest: unknown[]
  ) {
    warnings.push(String(message));
    return warn.call(this, message, ...(rest as []));
  });
  return warnings;
}

/**
 * A fan-out subscriber too slow for the publish rate: Redis cuts it at its
 * pub/sub output-buffer limit. The bus says so, counts it, and recovers.
 */
describe('Redis cuts a slow fan-out subscriber', () => {
  let redis: RedisServer;
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    // A small limit, so that a short flood overflows it: 256 KB hard.
    redis = await RedisServer.start({
      config: { 'client-output-buffer-limit': 'pubsub 256kb 128kb 1' },
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('logs the likely cause and the fix, counts the loss, and hears events again after resubscribing', async () => {
    const warnings = captureWarnings();
    const registry = new Registry();
    app = await startBusApp(redis.url, {
      serviceName: 'slow-subscriber',
      logLevel: 'warn',
      metrics: { enabled: true, registry },
    });
    const bus = app.get(EventBusService);
    const heard: number[] = [];
    await bus.subscribe(
      'load.*',
      event => void heard.push((event.data as { n?: number }).n ?? -1),
    );
    expect(bus.getStats().subscriberLosses).toBe(0);

    // While this process is blocked (execFileSync), another client floods the channel: ~8 MB the
    // subscriber cannot read. Redis holds it in the subscriber's output buffer and cuts it at 256 KB.
    const payload = JSON.stringify({ junk: 'x'.repeat(1000) });
    execFileSync(
      'redis-benchmark',
      [
        '-p',
        String(redis.port),
        '-n',
        '8000',
        '-P',
        '100',
        '-c',
        '1',
        '-q',
        'PUBLISH',
        'eventbus:load.flood',
        payload,
      ],
      { stdio: 'ignore' },
    );

    await waitUntil(
      () => bus.getStats().subscriberLosses === 1,
      10_000,
      'the loss to be counted',
    );
    // The warning follows the loss once a PING on the publisher's connection has come back.
    const cut = () =>
      warnings.filter(line => /client-output-buffer-limit/.test(line));
    await waitUntil(() => cut().length > 0, 10_000, 'the warning');
    expect(cut()).toHaveLength(1);
    const samples = parseMetrics(await registry.metrics());
    expect(
      sampleValue(samples, 'eventbus_transport_subscriber_losses_total'),
    ).toBe(1);

    // Back: events published now are heard.
    await waitUntil(
      () => bus.isConnected(),
      10_000,
      'the subscriber to come back',
    );
    await waitUntil(
      async () => {
        await bus.publish('load.after', { n: 1 });
        return heard.includes(1);
      },
      10_000,
      'an event after the cut',
    );
    expect((await bus.healthCheck()).status).toBe('healthy');
  });
  it('a Redis that went away is not reported as a cut subscriber (the loss still counts)', async () => {
    const warnings = captureWarnings();
    app = await startBusApp(redis.url, {
      serviceName: 'redis-killed',
      logLevel: 'warn',
    });
    const bus = app.get(EventBusService);
    await bus.subscribe('load.*', () => undefined);
    await redis.kill();
    await redis.start();
    await waitUntil(() => bus.isConnected(), 15_000, 'the bus to reconnect');
    await waitUntil(
      () => bus.getStats().subscriberLosses === 1,
      10_000,
      'the loss to be counted',
    );
    // Long enough for the publisher's PING (2 s at most) to have decided.
    await new Promise(r => setTimeout(r, 2500));
    expect(
      warnings.filter(line => /client-output-buffer-limit/.test(line)),
    ).toEqual([]);
  });
});
