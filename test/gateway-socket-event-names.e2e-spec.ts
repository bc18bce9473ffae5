import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBusService } from '@shared-infra/event-bus';
import { EventBusIoAdapter } from '@shared-infra/event-bus/gateway';
import type { AddressInfo } from 'node:net';
import { GatewayAppModule } from './fixtures/gateway/gateway-app.module.js';
import { waitUntil } from './utils/collector.js';
import {
  connectClient,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

/**
 * `socketEventNames`: a bus type reaches sockets under another socket.io event
 * name (as the demo does for seed 002's `message:new`), live and replayed;
 * the payload keeps the bus type, and other types keep their own name.
 */
describe('Gateway: socketEventNames', () => {
  let app: INestApplication;
  let url: string;
  let bus: EventBusService;
  const clients: TestClient[] = [];

  /** The socket event names a client got in `lobby`, in order, with the payload's type. */
  function namesOf(client: TestClient): Array<[string, string]> {
    const names: Array<[string, string]> = [];
    client.socket.onAny(
      (name: string, payload: { type?: string; room?: string }) => {
        if (payload?.room === 'lobby') names.push([name, payload.type ?? '']);
      },
    );
    return names;
  }

  beforeAll(async () => {
    app = await NestFactory.create(
      GatewayAppModule.forRoot(
        { transport: 'memory' },
        { socketEventNames: { 'lobby.message.new': 'message:new' } },
      ),
      { logger: false },
    );
    app.useWebSocketAdapter(new EventBusIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    bus = app.get(EventBusService);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await app?.close();
  });

  it('emits the renamed type under its socket name, live and replayed, and the others as they are', async () => {
    const live = await connectClient(url, { token: tokenFor('alice') });
    clients.push(live);
    const liveNames = namesOf(live);
    expect(await live.request('subscribe', { room: 'lobby' })).toEqual({
      ok: true,
    });
    const first = await bus.publishToRoom('lobby', 'lobby.opened', { n: 0 });
    await bus.publishToRoom('lobby', 'lobby.message.new', { n: 1 });
    await bus.publishToRoom('lobby', 'lobby.closed', { n: 2 });
    await waitUntil(() => liveNames.length === 3, 5000, 'three live events');
    const expected = [
      ['lobby.opened', 'lobby.opened'],
      ['message:new', 'lobby.message.new'],
      ['lobby.closed', 'lobby.closed'],
    ];
    expect(liveNames).toEqual(expected);

    const late = await connectClient(url, { token: tokenFor('bob') });
    clients.push(late);
    const replayedNames = namesOf(late);
    expect(
      await late.request('subscribe', {
        room: 'lobby',
        lastEventId: first.eventId,
      }),
    ).toMatchObject({ ok: true, recovered: true, replayed: 2 });
    await waitUntil(() => replayedNames.length === 2, 5000, 'the replay');
    expect(replayedNames).toEqual(expected.slice(1));
  });
});
