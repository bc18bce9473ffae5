import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import {
  EventBusHealthIndicator,
  EventBusHealthModule,
  EventBusModule,
  DeadLetterService,
  EventBusService,
  type EventBusModuleOptions,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import {
  EventBusGateway,
  EventBusIoAdapter,
} from '@shared-infra/event-bus/gateway';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import { GatewayHealthAppModule } from './fixtures/gateway/gateway-health-app.module.js';
import { HealthConsumer } from './fixtures/health.consumer.js';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';
import { DemoProcess } from './utils/demo-process.js';
import {
  connectClient,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';
import { parseMetrics, sampleValue } from './utils/prometheus.js';

interface IndicatorResult {
  status: 'up' | 'down';
  message?: string;
  [key: string]: unknown;
}

interface HealthReport {
  status: 'ok' | 'error';
  info?: Record<string, IndicatorResult>;
  error?: Record<string, IndicatorResult>;
  details: Record<string, IndicatorResult>;
}

describe('demo /health/live and /health/ready (Terminus) on real Redis', () => {
  let redis: RedisServer;
  let demo: DemoProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    demo = await DemoProcess.start(await freePort(), { REDIS_URL: redis.url });
  });

  afterAll(async () => {
    await demo?.stop();
    await redis.stop();
  });

  it('answers 200 with the details of every check while Redis is up', async () => {
    const live = await demo.json<HealthReport>('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({
      status: 'ok',
      details: { process: { status: 'up' } },
    });

    const ready = await demo.json<HealthReport>('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.details.eventBus).toMatchObject({
      status: 'up',
      transport: 'redis',
      connections: [
        { name: 'redis:publisher', status: 'up' },
        { name: 'redis:subscriber', status: 'up' },
      ],
    });
    expect(ready.body.details.durable).toMatchObject({
      status: 'up',
      groups: [
        {
          stream: 'photo',
          group: 'photo-service.PhotoProcessingHandler.process',
          pending: 0,
          lag: 0,
        },
      ],
      deadLetters: 0,
      thresholds: { maxPending: 1000, maxLag: 10_000 },
    });
    expect(ready.body.details.gateway).toEqual({
      status: 'up',
      sockets: 0,
      connectedClients: 0,
      activeRooms: 0,
      uptime: expect.any(Number),
    });
  });

  it('ready turns 503 with the reason when Redis dies while live stays 200, and is 200 again when Redis is back, without a restart', async () => {
    await redis.kill();
    let ready = await demo.json<HealthReport>('/health/ready');
    await waitUntil(
      async () =>
        (ready = await demo.json<HealthReport>('/health/ready')).status === 503,
      5000,
      'ready to turn 503',
    );
    expect(ready.body.status).toBe('error');
    expect(ready.body.error!.eventBus.status).toBe('down');
    expect(ready.body.error!.eventBus.message).toMatch(
      /redis:publisher: connection is \w+.*redis:subscriber: connection is \w+/,
    );
    expect(ready.body.error!.durable.message).toMatch(/not connected/);
    await waitUntil(
      async () =>
        (ready = await demo.json<HealthReport>('/health/ready')).body.error
          ?.gateway !== undefined,
      5000,
      'the gateway to be down',
    );
    expect(ready.body.error!.gateway).toMatchObject({
      status: 'down',
      message: expect.stringMatching(/gateway Redis connection\(s\) not ready/),
    });
    const live = await demo.json<HealthReport>('/health/live');
    expect(live.status).toBe(200);
    const down = parseMetrics((await demo.text('/metrics')).body);
    expect(sampleValue(down, 'eventbus_transport_connected')).toBe(0);

    await redis.start();
    await waitUntil(
      async () =>
        (ready = await demo.json<HealthReport>('/health/ready')).status === 200,
      15_000,
      'ready to be 200 again',
    );
    expect(ready.body.details.eventBus.status).toBe('up');
    expect(ready.body.details.gateway.status).toBe('up');
    expect(demo.running).toBe(true);
    expect(
      (await demo.json<HealthReport>('/health/live')).body.details.process.pid,
    ).toBe(live.body.details.process.pid);
    const up = parseMetrics((await demo.text('/metrics')).body);
    expect(sampleValue(up, 'eventbus_transport_connected')).toBe(1);
    expect(
      sampleValue(up, 'eventbus_transport_reconnects_total'),
    ).toBeGreaterThanOrEqual(2);
  });

  it('after Redis came back empty (no persistence), the durable worker registers its pattern again and uploads are processed', async () => {
    // The previous test restarted Redis without persistence: the durable registry was lost with it.
    const admin = new Redis(redis.url);
    try {
      await waitUntil(
        async () =>
          (await admin.hexists(
            'eventbus:durable:patterns',
            'photo.uploaded',
          )) === 1,
        10_000,
        'the pattern to be registered again',
      );
    } finally {
      admin.disconnect();
    }
    const { token } = (
      await demo.json<{ token: string }>('/auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'user-456' }),
      })
    ).body;
    const authorization = `Bearer ${token}`;
    const created = await demo.json<{ photoId: string }>('/photos', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({
        filename: 'after-restart.jpg',
        size: 1000,
        mimeType: 'image/jpeg',
      }),
    });
    expect(created.status).toBe(202);
    await waitUntil(
      async () => {
        const events = (
          await demo.json<EventEnvelope[]>('/events?limit=50', {
            headers: { authorization },
          })
        ).body;
        return events.some(
          e =>
            e.type === 'photo.processing.completed' &&
            (e.data as { photoId?: string }).photoId === created.body.photoId,
        );
      },
      15_000,
      'the upload to be processed',
    );
    expect((await demo.json<HealthReport>('/health/ready')).status).toBe(200);
  });
});

describe('EventBusHealthIndicator', () => {
  let redis: RedisServer;
  let app: INestApplicationContext | undefined;

  async function start(options: Partial<EventBusModuleOptions> = {}) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          serviceName: 'health-service',
          transport: 'redis',
          redis: { url: redis.url },
          logLevel: 'error',
          durable: { blockMs: 200, claimIntervalMs: 200 },
          ...options,
        }),
        TerminusModule.forRoot({ logger: false }),
        EventBusHealthModule.forRoot({
          timeout: 500,
          durable: { maxDeadLetters: 0 },
        }),
      ],
      providers: [HealthConsumer],
    }).compile();
    app = await moduleRef.init();
    return {
      bus: app.get(EventBusService),
      deadLetters: app.get(DeadLetterService),
      indicator: app.get(EventBusHealthIndicator),
      consumer: app.get(HealthConsumer),
    };
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await redis.stop();
  });

  it('reports dead letters against maxDeadLetters (module default, overridden per call)', async () => {
    const { bus, deadLetters, indicator } = await start();
    expect(await indicator.isDurableHealthy('durable')).toMatchObject({
      durable: { status: 'up', deadLetters: 0 },
    });
    await bus.publish('audit.logged', { fail: true });
    await waitUntil(
      () => bus.getStats().eventsDeadLettered === 1,
      5000,
      'the dead letter',
    );
    const result = await indicator.isDurableHealthy('durable');
    expect(result.durable).toMatchObject({
      status: 'down',
      deadLetters: 1,
      thresholds: { maxDeadLetters: 0 },
      groups: [{ stream: 'audit', group: 'health-audit', pending: 0 }],
    });
    expect(result.durable.message).toMatch(
      /1 dead letters \(maxDeadLetters 0\): inspect and replay or purge them/,
    );
    expect(
      await indicator.isDurableHealthy('durable', { maxDeadLetters: 5 }),
    ).toMatchObject({ durable: { status: 'up' } });
    await deadLetters.purge('audit');
  });

  it('reports entries held by a running handler against maxPending', async () => {
    const { bus, indicator, consumer } = await start();
    consumer.hold();
    await Promise.all([1, 2, 3].map(() => bus.publish('audit.logged', {})));
    let result = await indicator.isDurableHealthy('durable', { maxPending: 2 });
    await waitUntil(
      async () =>
        (result = await indicator.isDurableHealthy('durable', {
          maxPending: 2,
        })).durable.status === 'down',
      5000,
      'three pending entries',
    );
    expect(result.durable.message).toBe(
      'group health-audit on stream "audit" has 3 pending entries (maxPending 2)',
    );
    consumer.open();
    await waitUntil(
      async () =>
        (await indicator.isDurableHealthy('durable', { maxPending: 2 })).durable
          .status === 'up',
      5000,
      'the entries to be acknowledged',
    );
  });

  it('turns a Redis that does not answer into down("timeout of Nms exceeded") instead of waiting or throwing', async () => {
    const { indicator } = await start();
    expect(await indicator.isHealthy('bus')).toMatchObject({
      bus: { status: 'up', transport: 'redis', subscriptions: 1 },
    });
    const admin = new Redis(redis.url);
    try {
      // Every client's commands wait while the pause lasts: a hung server, as far as PING can tell.
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const started = Date.now();
      const result = await indicator.isHealthy('bus', { timeout: 300 });
      expect(Date.now() - started).toBeLessThan(1200);
      expect(result.bus.status).toBe('down');
      expect(result.bus.message).toMatch(/timeout of 300ms exceeded/);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      admin.disconnect();
    }
  });

  it('is up on the memory transport, and down once the bus is shut down', async () => {
    const { indicator } = await start({
      transport: 'memory',
      redis: undefined,
    });
    expect(await indicator.isHealthy('bus')).toMatchObject({
      bus: {
        status: 'up',
        transport: 'memory',
        connections: [{ name: 'memory', status: 'up' }],
      },
    });
    await app!.close();
    app = undefined;
    expect(await indicator.isHealthy('bus')).toMatchObject({
      bus: { status: 'down', message: 'memory: event bus is shut down' },
    });
    expect(await indicator.isDurableHealthy('durable')).toMatchObject({
      durable: {
        status: 'down',
        message: expect.stringMatching(/not connected/),
      },
    });
  });
});

describe('EventBusGatewayHealthIndicator (an app with the gateway on real Redis)', () => {
  let redis: RedisServer;
  let app: INestApplication;
  let url: string;
  let client: TestClient | undefined;

  const ready = async () => {
    const response = await fetch(`${url}/health/ready`);
    return {
      status: response.status,
      body: (await response.json()) as HealthReport,
    };
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    app = await NestFactory.create(GatewayHealthAppModule.forRoot(redis.url), {
      logger: ['error'],
      abortOnError: false,
    });
    app.useWebSocketAdapter(new EventBusIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    await redis.stop();
  });

  it('is in the readiness check, up with the sockets of this instance', async () => {
    expect(await ready()).toEqual({
      status: 200,
      body: expect.objectContaining({
        status: 'ok',
        details: {
          gateway: {
            status: 'up',
            sockets: 0,
            connectedClients: 0,
            activeRooms: 0,
            uptime: expect.any(Number),
          },
        },
      }),
    });
    client = await connectClient(url, { token: tokenFor('alice') });
    // Seed 003's websocket health: its rooms user:alice, client:alice:<id> and global.
    expect((await ready()).body.details.gateway).toEqual({
      status: 'up',
      sockets: 1,
      connectedClients: 1,
      activeRooms: 3,
      uptime: expect.any(Number),
    });
  });

  it("goes down while the gateway's Redis connections are, and up again when Redis is back", async () => {
    client?.close();
    await redis.kill();
    let report = await ready();
    await waitUntil(
      async () => (report = await ready()).status === 503,
      5000,
      'ready to turn 503',
    );
    expect(report.body.status).toBe('error');
    expect(report.body.error!.gateway).toMatchObject({
      status: 'down',
      message: expect.stringMatching(
        /^\d gateway Redis connection\(s\) not ready$/,
      ),
    });
    await redis.start();
    await waitUntil(
      async () => (report = await ready()).status === 200,
      15_000,
      'ready to be 200 again',
    );
    expect(report.body.details.gateway.status).toBe('up');
  });

  it('goes down once the gateway is shutting down', async () => {
    // What Nest runs first when the app closes (SIGTERM): from then on the instance takes no sockets.
    await app.get(EventBusGateway).beforeApplicationShutdown();
    const report = await ready();
    expect(report.status).toBe(503);
    expect(report.body.error!.gateway).toEqual({
      status: 'down',
      message: 'the gateway is shutting down',
      sockets: 0,
      connectedClients: 0,
      activeRooms: 0,
      uptime: expect.any(Number),
    });
  });
});
