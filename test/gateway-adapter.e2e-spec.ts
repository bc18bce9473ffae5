import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import {
  EventBusIoAdapter,
  GatewayAdapterMissingError,
  type EventBusGatewayOptions,
} from '@shared-infra/event-bus/gateway';
import type { EventBusModuleOptions } from '@shared-infra/event-bus';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import type { ServerOptions } from 'socket.io';
import { GatewayAppModule } from './fixtures/gateway/gateway-app.module.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';
import { connectClient, tokenFor } from './utils/gateway-client.js';

/** An `EventBusIoAdapter` that sets socket.io options of its own, as the README shows. */
class PingAdapter extends EventBusIoAdapter {
  override createIOServer(port: number, options?: ServerOptions) {
    return super.createIOServer(port, { ...options, pingTimeout: 12_345 });
  }
}

async function create(
  bus: Partial<EventBusModuleOptions> = { transport: 'memory' },
  gateway: Partial<EventBusGatewayOptions> = {},
): Promise<INestApplication> {
  return NestFactory.create(GatewayAppModule.forRoot(bus, gateway), {
    logger: false,
    abortOnError: false,
  });
}

function urlOf(app: INestApplication): string {
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

/** The engine.io open packet of a polling handshake (`0{…}`), or the status when refused. */
async function openPacket(
  url: string,
): Promise<{ status: number; open?: Record<string, unknown> }> {
  const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
  const body = await res.text();
  return res.status === 200
    ? {
        status: 200,
        open: JSON.parse(body.slice(1)) as Record<string, unknown>,
      }
    : { status: res.status };
}

/**
 * Issue 16: the app installs the gateway's adapter itself
 * (`app.useWebSocketAdapter(new EventBusIoAdapter(app))`); the adapter builds the
 * socket.io server with the gateway's engine settings as `ServerOptions` and
 * closes the gateway's Redis connections after the server.
 */
describe('EventBusIoAdapter', () => {
  it('without it the start fails, naming the line to add', async () => {
    const app = await create();
    try {
      const started = app.listen(0, '127.0.0.1');
      await expect(started).rejects.toBeInstanceOf(GatewayAdapterMissingError);
      await expect(started).rejects.toThrow(
        'app.useWebSocketAdapter(new EventBusIoAdapter(app))',
      );
    } finally {
      await app.close();
    }
  });

  it("with Nest's plain IoAdapter the start fails too", async () => {
    const app = await create();
    app.useWebSocketAdapter(new IoAdapter(app));
    try {
      await expect(app.listen(0, '127.0.0.1')).rejects.toMatchObject({
        code: 'GATEWAY_ADAPTER_MISSING',
      });
    } finally {
      await app.close();
    }
  });

  it("merges the gateway's engine settings into the server options, keeping the app's own", async () => {
    const app = await create(
      { transport: 'memory' },
      { maxHttpBufferSize: 20_000 },
    );
    app.useWebSocketAdapter(new PingAdapter(app));
    try {
      await app.listen(0, '127.0.0.1');
      expect(await openPacket(urlOf(app))).toEqual({
        status: 200,
        open: expect.objectContaining({
          pingTimeout: 12_345,
          maxPayload: 20_000,
        }),
      });
    } finally {
      await app.close();
    }
  });

  it('takes pingInterval / pingTimeout from the gateway options when given there, over the subclass', async () => {
    const app = await create(
      { transport: 'memory' },
      { pingTimeout: 9000, pingInterval: 4000 },
    );
    app.useWebSocketAdapter(new PingAdapter(app));
    try {
      await app.listen(0, '127.0.0.1');
      expect(await openPacket(urlOf(app))).toEqual({
        status: 200,
        open: expect.objectContaining({
          pingTimeout: 9000,
          pingInterval: 4000,
        }),
      });
    } finally {
      await app.close();
    }
  });

  it("offers the gateway's transports only", async () => {
    const app = await create(
      { transport: 'memory' },
      { transports: ['websocket'] },
    );
    app.useWebSocketAdapter(new EventBusIoAdapter(app));
    try {
      await app.listen(0, '127.0.0.1');
      expect((await openPacket(urlOf(app))).status).toBe(400);
      const client = await connectClient(urlOf(app), {
        token: tokenFor('alice'),
      });
      client.close();
    } finally {
      await app.close();
    }
  });

  describe('on Redis', () => {
    let redis: RedisServer;
    let admin: Redis;

    beforeAll(async () => {
      redis = await RedisServer.start();
      admin = new Redis(redis.url);
    });

    afterAll(async () => {
      admin.disconnect();
      await redis.stop();
    });

    const gatewayConnections = async () =>
      ((await admin.client('LIST')) as string)
        .split('\n')
        .filter(line => /name=\S*:event-bus:gateway/.test(line)).length;

    it("closes the gateway's Redis connections after the server, with a socket connected", async () => {
      const app = await create({
        transport: 'redis',
        redis: { url: redis.url },
      });
      app.useWebSocketAdapter(new EventBusIoAdapter(app));
      await app.listen(0, '127.0.0.1');
      const client = await connectClient(urlOf(app), {
        token: tokenFor('alice'),
      });
      await waitUntil(
        async () => (await gatewayConnections()) === 2,
        5000,
        'the gateway connections',
      );
      // An unhandled rejection here (the socket.io Redis adapter unsubscribing on a closed connection) fails the test run.
      await app.close();
      client.close();
      await waitUntil(
        async () => (await gatewayConnections()) === 0,
        5000,
        'the gateway connections to close',
      );
    });

    it('an app whose Redis died shuts down all the same (nothing waits for the dead server)', async () => {
      const doomed = await RedisServer.start();
      const app = await create({
        transport: 'redis',
        redis: { url: doomed.url },
        shutdownTimeout: 1000,
      });
      app.useWebSocketAdapter(new EventBusIoAdapter(app));
      await app.listen(0, '127.0.0.1');
      const client = await connectClient(urlOf(app), {
        token: tokenFor('alice'),
      });
      await doomed.kill();
      // Jest's timeout is the failure here: before the fix, close() waited in ioredis' offline queue.
      await app.close();
      client.close();
    }, 30_000);
  });
});
