/**
 * `connectionRateLimit`: handshakes per client address (seed 000's "Rate limit
 * exceeded" middleware), checked before the token, with plain socket.io clients.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  EventBusGatewayService,
  EventBusIoAdapter,
  type EventBusGatewayOptions,
} from '@shared-infra/event-bus/gateway';
import type { AddressInfo } from 'node:net';
import { GatewayAppModule } from './fixtures/gateway/gateway-app.module.js';
import {
  connectClient,
  connectError,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

describe('gateway connectionRateLimit', () => {
  let app: INestApplication | undefined;
  const clients: TestClient[] = [];

  const start = async (options: Partial<EventBusGatewayOptions>) => {
    app = await NestFactory.create(
      GatewayAppModule.forRoot({ transport: 'memory' }, options),
      { logger: ['error'], abortOnError: false },
    );
    app.useWebSocketAdapter(new EventBusIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  };

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await app?.close();
    app = undefined;
  });

  it('refuses handshakes past the burst with connect_error "rate_limited", before the token is read', async () => {
    const url = await start({
      connectionRateLimit: { burst: 3, perSecond: 0.01 },
    });
    for (let i = 0; i < 3; i++)
      clients.push(await connectClient(url, { token: tokenFor(`u${i}`) }));
    // A valid token does not get past the limit, and a bad one is not even verified.
    const refused = await connectError(url, { token: tokenFor('u9') });
    const unverified = await connectError(url, { token: 'not-a-jwt' });
    for (const error of [refused, unverified]) {
      expect(error.message).toBe('rate_limited');
      expect(error.data?.reason).toMatch(
        /too many connection attempts from this address; retry in \d+ s/,
      );
    }
    const rejected = app!.get(EventBusGatewayService).getStats().rejected;
    expect(rejected.connectionsRateLimited).toBe(2);
    expect(rejected.unauthorized).toBe(0);
    // Sockets already connected are not affected.
    expect((await clients[0].request('ping')).ok).toBe(true);
  });

  it('counts a handshake against the key the app derives, and exempts undefined', async () => {
    const url = await start({
      connectionRateLimit: {
        burst: 1,
        perSecond: 0.01,
        key: handshake =>
          handshake.headers['x-test-exempt'] === 'yes'
            ? undefined
            : String(handshake.headers['x-client-ip'] ?? handshake.address),
      },
    });
    const as = (headers: Record<string, string>, user: string) =>
      connectClient(url, { token: tokenFor(user) }, { extraHeaders: headers });
    clients.push(await as({ 'x-client-ip': '203.0.113.1' }, 'a'));
    clients.push(await as({ 'x-client-ip': '203.0.113.2' }, 'b'));
    const second = await connectError(
      url,
      { token: tokenFor('a') },
      {
        'x-client-ip': '203.0.113.1',
      },
    );
    expect(second.message).toBe('rate_limited');
    for (let i = 0; i < 3; i++)
      clients.push(await as({ 'x-test-exempt': 'yes' }, `e${i}`));
  });

  it('is off unless configured: many handshakes from one address connect', async () => {
    const url = await start({});
    for (let i = 0; i < 25; i++)
      clients.push(await connectClient(url, { token: tokenFor(`n${i}`) }));
    expect(
      app!.get(EventBusGatewayService).getStats().rejected
        .connectionsRateLimited,
    ).toBe(0);
  });

  it.each([
    [{ brust: 3 }, /connectionRateLimit\.brust/],
    [{ burst: 0 }, /connectionRateLimit\.burst/],
    [{ key: 'x-forwarded-for' }, /connectionRateLimit\.key/],
  ])('refuses the option %j by name', async (value, message) => {
    await expect(
      Test.createTestingModule({
        imports: [
          GatewayAppModule.forRoot(
            { transport: 'memory' },
            {
              connectionRateLimit:
                value as EventBusGatewayOptions['connectionRateLimit'],
            },
          ),
        ],
      }).compile(),
    ).rejects.toThrow(message);
  });
});
