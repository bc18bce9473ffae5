import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Module,
  type DynamicModule,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBusModule, EventBusService } from '@shared-infra/event-bus';
import {
  EventBusAdminModule,
  type AdminOverview,
  type DeadLetterPage,
} from '@shared-infra/event-bus/admin';
import { EventBusIoAdapter } from '@shared-infra/event-bus/gateway';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import {
  AdminAppModule,
  AdminE2eConsumer,
  AdminRoleGuard,
} from './fixtures/admin/admin-app.module.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';
import {
  connectClient,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

const ADMIN = { 'x-role': 'admin' };
const WRITE = { ...ADMIN, 'x-event-bus-admin': '1' };

/**
 * Issue 19, item 3: the dashboard's JSON API on real Redis, served by two
 * instances of one app: A (with the gateway) at the default path, B (bus only)
 * at `/ops/bus`. Each reports to the other through Redis.
 */
describe('EventBusAdminModule (two instances on Redis)', () => {
  let redis: RedisServer;
  let raw: Redis;
  let a: INestApplication;
  let b: INestApplication;
  let urlA: string;
  let urlB: string;
  let client: TestClient | undefined;
  const consumers: AdminE2eConsumer[] = [];

  const call = async <T>(
    url: string,
    path: string,
    init: { method?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: T; headers: Headers }> => {
    const response = await fetch(`${url}${path}`, {
      method: init.method ?? 'GET',
      headers: init.headers ?? ADMIN,
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text.startsWith('{') || text.startsWith('[')
        ? JSON.parse(text)
        : text) as T,
      headers: response.headers,
    };
  };
  const overview = async (url = urlA, base = '/admin/event-bus') =>
    (await call<AdminOverview>(url, `${base}/api/overview`)).body;
  const deadLetters = async (query = '') =>
    (
      await call<DeadLetterPage>(
        urlA,
        `/admin/event-bus/api/dead-letters${query}`,
      )
    ).body;

  async function start(
    admin: Parameters<typeof AdminAppModule.forRoot>[1],
    gateway: boolean,
  ): Promise<[INestApplication, string]> {
    const app = await NestFactory.create(
      AdminAppModule.forRoot(redis.url, admin, gateway),
      { logger: false },
    );
    if (gateway) app.useWebSocketAdapter(new EventBusIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    consumers.push(app.get(AdminE2eConsumer));
    return [
      app,
      `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`,
    ];
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    raw = new Redis(redis.url);
    [a, urlA] = await start({}, true);
    [b, urlB] = await start({ path: '/ops/bus/' }, false);
  });

  afterAll(async () => {
    client?.close();
    consumers.forEach(c => c.releaseStock());
    await Promise.all([a?.close(), b?.close()]);
    raw?.disconnect();
    await redis?.stop();
  });

  it('serves the page with a strict CSP; the API refuses callers the app guard refuses (401, 403)', async () => {
    const page = await call<string>(urlA, '/admin/event-bus', { headers: {} });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toContain('<title>Event bus · admin</title>');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');

    const anonymous = await call<{ message: string }>(
      urlA,
      '/admin/event-bus/api/overview',
      { headers: {} },
    );
    expect(anonymous).toMatchObject({
      status: 401,
      body: { message: 'no role' },
    });
    const viewer = await call<{ message: string }>(
      urlA,
      '/admin/event-bus/api/dead-letters',
      { headers: { 'x-role': 'viewer' } },
    );
    expect(viewer).toMatchObject({
      status: 403,
      body: { message: 'admins only' },
    });
    const replay = await call(
      urlA,
      '/admin/event-bus/api/dead-letters/order/1-1/replay',
      {
        method: 'POST',
        headers: { 'x-role': 'viewer', 'x-event-bus-admin': '1' },
      },
    );
    expect(replay.status).toBe(403);
    const admin = await call<AdminOverview>(
      urlA,
      '/admin/event-bus/api/overview',
    );
    expect(admin.status).toBe(200);
    expect(admin.headers.get('cache-control')).toBe('no-store');
    // B serves the same at its own path.
    expect((await call(urlB, '/ops/bus/api/overview')).status).toBe(200);
    expect((await call(urlB, '/admin/event-bus/api/overview')).status).toBe(
      404,
    );
  });

  it('refuses a misspelled option, or no guard, by name at start', () => {
    expect(() =>
      EventBusAdminModule.forRoot({
        guard: AdminRoleGuard,
        pth: '/x',
      } as never),
    ).toThrow(
      'Unknown option "pth" of EventBusAdminModule: did you mean "path"?',
    );
    expect(() => EventBusAdminModule.forRoot({} as never)).toThrow(
      'needs a "guard"',
    );
  });

  it('shows streams with their length, groups with lag and pending, and their consumers', async () => {
    const bus = a.get(EventBusService);
    for (const n of [1, 2, 3]) await bus.publish('order.placed', { n });
    await bus.publish('stock.reserved', { sku: 'a' });
    await bus.publish('stock.reserved', { sku: 'b' });
    // A reporting group that never reads: every entry is lag for it.
    await raw.call(
      'XGROUP',
      'CREATE',
      'eventbus:{order}:stream',
      'reporting',
      '0',
    );
    await waitUntil(
      async () => (await overview()).deadLetters === 3,
      10_000,
      'three dead letters',
    );
    let streams = (await overview()).streams;
    await waitUntil(
      async () => {
        streams = (await overview()).streams;
        const stock = streams.find(s => s.stream === 'stock');
        return (stock?.groups[0]?.pending ?? 0) >= 1;
      },
      10_000,
      'a pending stock entry',
    );
    const order = streams.find(s => s.stream === 'order')!;
    expect(order).toMatchObject({ stream: 'order', length: 3, deadLetters: 3 });
    const groups = Object.fromEntries(order.groups.map(g => [g.group, g]));
    expect(groups.reporting).toMatchObject({
      lag: 3,
      pending: 0,
      consumers: [],
    });
    const handlerGroup = groups['admin-e2e.AdminE2eConsumer.place'];
    expect(handlerGroup).toMatchObject({ lag: 0, pending: 0 });
    // A and B read the stream as one group: one consumer each.
    await waitUntil(async () => {
      const fresh = (await overview()).streams.find(s => s.stream === 'order')!;
      return (
        fresh.groups.find(g => g.group === 'admin-e2e.AdminE2eConsumer.place')!
          .consumers.length === 2
      );
    });
    const stock = streams.find(s => s.stream === 'stock')!;
    expect(stock.length).toBe(2);
    const stockGroup = stock.groups[0];
    expect(stockGroup.group).toBe('admin-e2e.AdminE2eConsumer.reserve');
    expect(stockGroup.pending + (stockGroup.lag ?? 0)).toBe(2);
    expect(stockGroup.consumers.reduce((sum, c) => sum + c.pending, 0)).toBe(
      stockGroup.pending,
    );
    for (const consumer of stockGroup.consumers) {
      expect(consumer.name).toContain('admin-e2e@');
      expect(consumer.idleMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('lists dead letters with their reason and payload, a page at a time', async () => {
    const first = await deadLetters('?limit=2');
    expect(first.total).toBe(3);
    expect(first.letters).toHaveLength(2);
    expect(first.next).toBe(first.letters[1].id);
    const second = await deadLetters(`?limit=2&after=${first.next}`);
    expect(second.letters).toHaveLength(1);
    expect(second.next).toBeNull();
    const all = [...first.letters, ...second.letters];
    expect(all.map(l => JSON.parse(l.payload).data.n).sort()).toEqual([
      1, 2, 3,
    ]);
    for (const letter of all) {
      expect(letter).toMatchObject({
        stream: 'order',
        type: 'order.placed',
        group: 'admin-e2e.AdminE2eConsumer.place',
        handler: 'AdminE2eConsumer.place',
        attempts: 1,
        payloadTruncated: false,
      });
      expect(letter.error).toMatch(/^order [123] failed$/);
    }
    expect((await deadLetters('?stream=stock')).total).toBe(0);
    const one = await call<{ payload: string; stack: string }>(
      urlA,
      `/admin/event-bus/api/dead-letters/order/${all[0].id}`,
    );
    expect(one.status).toBe(200);
    expect(one.body.payload).toBe(all[0].payload);
    expect(one.body.stack).toContain('order');
    // Bad input is a 400 naming the parameter, never a crash.
    const bad = await call<{ message: string }>(
      urlA,
      '/admin/event-bus/api/dead-letters?limit=0',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('"limit"');
    expect(
      (await call(urlA, '/admin/event-bus/api/dead-letters?after=nope')).status,
    ).toBe(400);
  });

  it('replays a dead letter (it goes back to its group and is handled) and deletes one', async () => {
    const [first, second] = (await deadLetters()).letters;
    const replayPath = `/admin/event-bus/api/dead-letters/order/${first.id}/replay`;
    // CSRF: a write without the dashboard's header, or from another site, is refused.
    const noHeader = await call<{ message: string }>(urlA, replayPath, {
      method: 'POST',
    });
    expect(noHeader.status).toBe(403);
    expect(noHeader.body.message).toContain('x-event-bus-admin');
    const crossSite = await call(urlA, replayPath, {
      method: 'POST',
      headers: { ...WRITE, 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    // Replay with GET does not exist.
    expect((await call(urlA, replayPath)).status).toBe(404);

    consumers.forEach(c => (c.failing = false));
    const replayed = await call(urlA, replayPath, {
      method: 'POST',
      headers: WRITE,
    });
    expect(replayed).toMatchObject({ status: 200, body: { replayed: true } });
    await waitUntil(
      () => consumers.some(c => c.handled.includes(first.eventId!)),
      10_000,
      'the replayed event handled',
    );
    expect((await deadLetters()).total).toBe(2);
    expect(
      (await call(urlA, replayPath, { method: 'POST', headers: WRITE })).status,
    ).toBe(404);

    const deletePath = `/admin/event-bus/api/dead-letters/order/${second.id}`;
    expect((await call(urlA, deletePath, { method: 'DELETE' })).status).toBe(
      403,
    );
    const deleted = await call(urlA, deletePath, {
      method: 'DELETE',
      headers: WRITE,
    });
    expect(deleted).toMatchObject({ status: 200, body: { deleted: true } });
    expect((await deadLetters()).total).toBe(1);
    expect(
      (await call(urlA, deletePath, { method: 'DELETE', headers: WRITE }))
        .status,
    ).toBe(404);
  });

  it('shows every instance with its sockets, users and rooms, and the fan-out rates per type', async () => {
    client = await connectClient(urlA, { token: tokenFor('alice') });
    const bus = b.get(EventBusService);
    // Read through B: A's figures come from its report in Redis.
    let seen: AdminOverview | undefined;
    await waitUntil(
      async () => {
        await bus.publish('ping.sent', { at: Date.now() });
        seen = await overview(urlB, '/ops/bus');
        const withGateway = seen.instances.find(i => i.gateway !== null);
        return (
          seen.instances.length === 2 &&
          withGateway?.gateway?.sockets === 1 &&
          (seen.rates ?? []).some(
            r => r.type === 'ping.sent' && r.publishedPerSecond > 0,
          )
        );
      },
      15_000,
      'both instances, one socket, a ping rate',
    );
    const [gatewayInstance] = seen!.instances.filter(i => i.gateway);
    expect(gatewayInstance.instanceId).toBe(client.established.instanceId);
    expect(gatewayInstance.gateway).toMatchObject({ sockets: 1, users: 1 });
    // alice's user, client and session rooms, and the global room.
    expect(gatewayInstance.gateway!.activeRooms).toBeGreaterThanOrEqual(3);
    const busOnly = seen!.instances.find(i => !i.gateway)!;
    expect(busOnly).toMatchObject({ service: 'admin-e2e', gateway: null });
    expect(busOnly.bus.transport).toBe('redis');
  });
});

@Module({})
class MemoryAdminApp {
  static forRoot(
    admin: Parameters<typeof EventBusAdminModule.forRoot>[0],
  ): DynamicModule {
    return {
      module: MemoryAdminApp,
      providers: [AdminE2eConsumer],
      imports: [
        EventBusModule.forRoot({
          serviceName: 'admin-memory',
          transport: 'memory',
          logLevel: 'error',
        }),
        EventBusAdminModule.forRoot(admin),
      ],
    };
  }
}

/** The same on the memory transport, with a function guard, and `guard: 'none'` with `readOnly`. */
describe('EventBusAdminModule on the memory transport', () => {
  let app: INestApplication;
  let open: INestApplication;
  let url: string;
  let openUrl: string;
  const warnings: string[] = [];

  const listen = async (module: DynamicModule) => {
    const created = await NestFactory.create(module, {
      logger: {
        log: () => undefined,
        error: () => undefined,
        warn: (message: unknown) => void warnings.push(String(message)),
      },
    });
    await created.listen(0, '127.0.0.1');
    return [
      created,
      `http://127.0.0.1:${(created.getHttpServer().address() as AddressInfo).port}`,
    ] as const;
  };

  beforeAll(async () => {
    [app, url] = await listen(
      MemoryAdminApp.forRoot({
        guard: context =>
          context
            .switchToHttp()
            .getRequest<{ headers: Record<string, string> }>().headers[
            'x-role'
          ] === 'admin',
        guardPage: true,
      }),
    );
    [open, openUrl] = await listen(
      MemoryAdminApp.forRoot({ guard: 'none', readOnly: true, path: '/bus' }),
    );
  });

  afterAll(async () => {
    await Promise.all([app?.close(), open?.close()]);
  });

  it('a function guard that returns false is a 403, for the page too with guardPage', async () => {
    expect((await fetch(`${url}/admin/event-bus/api/overview`)).status).toBe(
      403,
    );
    expect((await fetch(`${url}/admin/event-bus`)).status).toBe(403);
    expect(
      (await fetch(`${url}/admin/event-bus`, { headers: ADMIN })).status,
    ).toBe(200);
  });

  it('shows the stream, its group and consumer, and a dead letter, and replays it to a handler', async () => {
    const bus = app.get(EventBusService);
    await bus.publish('order.placed', { n: 7 });
    const get = async <T>(path: string) =>
      (await (
        await fetch(`${url}/admin/event-bus/api${path}`, { headers: ADMIN })
      ).json()) as T;
    await waitUntil(
      async () => (await get<DeadLetterPage>('/dead-letters')).total === 1,
      5000,
      'a dead letter',
    );
    const seen = await get<AdminOverview>('/overview');
    expect(seen).toMatchObject({
      transport: 'memory',
      deadLetters: 1,
      rates: null,
    });
    expect(seen.instances).toHaveLength(1);
    expect(seen.instances[0]).toMatchObject({
      service: 'admin-memory',
      types: null,
      gateway: null,
    });
    const order = seen.streams.find(s => s.stream === 'order')!;
    expect(order).toMatchObject({ length: 1, deadLetters: 1 });
    expect(order.groups).toEqual([
      expect.objectContaining({
        group: 'admin-memory.AdminE2eConsumer.place',
        pending: 0,
        lag: 0,
        consumers: [expect.objectContaining({ pending: 0 })],
      }),
    ]);
    const [letter] = (await get<DeadLetterPage>('/dead-letters')).letters;
    expect(letter).toMatchObject({
      error: 'order 7 failed',
      type: 'order.placed',
    });
    const consumer = app.get(AdminE2eConsumer);
    consumer.failing = false;
    const replayed = await fetch(
      `${url}/admin/event-bus/api/dead-letters/order/${letter.id}/replay`,
      { method: 'POST', headers: WRITE },
    );
    expect(replayed.status).toBe(200);
    await waitUntil(() => consumer.handled.includes(letter.eventId!));
    expect((await get<DeadLetterPage>('/dead-letters')).total).toBe(0);
  });

  it("guard: 'none' serves everyone, with a warning at start; readOnly refuses replay and delete", async () => {
    expect(warnings.join('\n')).toContain(
      "The event bus dashboard at /bus has NO guard (guard: 'none')",
    );
    expect((await fetch(`${openUrl}/bus/api/overview`)).status).toBe(200);
    for (const method of ['POST', 'DELETE']) {
      const refused = await fetch(
        `${openUrl}/bus/api/dead-letters/order/1-1${method === 'POST' ? '/replay' : ''}`,
        { method, headers: WRITE },
      );
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { message: string }).message).toContain(
        'read-only',
      );
    }
  });
});
