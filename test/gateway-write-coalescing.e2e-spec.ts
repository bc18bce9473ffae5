import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBusService } from '@shared-infra/event-bus';
import {
  EventBusGateway,
  EventBusIoAdapter,
} from '@shared-infra/event-bus/gateway';
import type { AddressInfo } from 'node:net';
import { GatewayAppModule } from './fixtures/gateway/gateway-app.module.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';
import {
  connectClient,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

const BURST = 300;

/**
 * The packets engine.io flushes to a socket together go out in one write
 * (the TCP socket is corked for the flush). A burst of events published in
 * one go reaches each socket while its previous write is under way, so most
 * of it is flushed in batches: every event must still arrive once, whole and
 * in order, on every socket, and the next single event too.
 */
describe('Gateway: packets flushed together, written together', () => {
  let redis: RedisServer;
  let app: INestApplication;
  let clients: TestClient[];
  let bus: EventBusService;
  /** Sizes of the engine's flushes of more than one packet. */
  const batches: number[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    app = await NestFactory.create(
      GatewayAppModule.forRoot({
        transport: 'redis',
        redis: { url: redis.url },
      }),
      { logger: false },
    );
    app.useWebSocketAdapter(new EventBusIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    app
      .get(EventBusGateway)
      .server.engine.on('flush', (_connection: unknown, buffer: unknown[]) => {
        if (buffer.length > 1) batches.push(buffer.length);
      });
    bus = app.get(EventBusService);
    clients = await Promise.all(
      ['alice', 'bob', 'carol'].map(user =>
        connectClient(url, { token: tokenFor(user) }),
      ),
    );
    for (const client of clients)
      expect(await client.request('subscribe', { room: 'lobby' })).toEqual({
        ok: true,
      });
  });

  afterAll(async () => {
    for (const client of clients ?? []) client.close();
    await app?.close();
    await redis?.stop();
  });

  it('delivers a burst whole and in order on every socket, then a single event', async () => {
    const padding = 'x'.repeat(2000);
    await Promise.all(
      Array.from({ length: BURST }, (_, n) =>
        bus.publishToRoom('lobby', 'burst.tick', { n, padding }),
      ),
    );
    await bus.publishToRoom('lobby', 'burst.after', { n: BURST });
    const received = (client: TestClient) =>
      client.events.items.filter(e => e.room === 'lobby');
    await waitUntil(
      () => clients.every(c => received(c).length === BURST + 1),
      15_000,
      'every event on every socket',
    );
    for (const client of clients) {
      const events = received(client);
      expect(events.map(e => (e.data as { n: number }).n)).toEqual(
        Array.from({ length: BURST + 1 }, (_, n) => n),
      );
      expect(
        events
          .slice(0, BURST)
          .every(e => (e.data as { padding: string }).padding === padding),
      ).toBe(true);
      expect(events[BURST].type).toBe('burst.after');
    }
    // The burst was flushed in batches: the corked path ran.
    expect(batches.length).toBeGreaterThan(0);
  });
});
