import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  defineEvents,
  EventBusModule,
  EventBusService,
  EventValidationError,
  InvalidConfigurationError,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import {
  EventBusIoAdapter,
  type ClientEvent,
} from '@shared-infra/event-bus/gateway';
import { IsInt, Max } from 'class-validator';
import type { AddressInfo } from 'node:net';
import * as v from 'valibot';
import { z } from 'zod';
import { GatewayAppModule } from './fixtures/gateway/gateway-app.module.js';
import { RedisServer } from './setup/redis-server.js';
import { Collector } from './utils/collector.js';
import {
  connectClient,
  tokenFor,
  type TestClient,
} from './utils/gateway-client.js';

class ItemCountedDto {
  @IsInt()
  @Max(100)
  count!: number;
}

/**
 * Real zod and valibot schemas beside a class-validator DTO, as an app declares
 * them. Both libraries transform: zod fills defaults and drops unknown keys,
 * valibot's pipe trims.
 */
const schemas = defineEvents({
  'schema.order.created': z.object({
    orderId: z.string().min(1),
    items: z.array(z.object({ sku: z.string() })).optional(),
    currency: z.string().default('EUR'),
  }),
  'schema.user.renamed': v.object({
    userId: v.string(),
    name: v.pipe(v.string(), v.trim(), v.minLength(1)),
  }),
  'schema.coupon.redeemed': z
    .object({ code: z.string() })
    .refine(async data => data.code !== 'USED', {
      message: 'already redeemed',
      path: ['code'],
    }),
  'schema.coupon.checked': v.pipeAsync(
    v.object({ code: v.string() }),
    v.checkAsync(async data => data.code !== 'USED', 'already redeemed'),
  ),
  'schema.item.counted': ItemCountedDto,
});

/** The rejection `work` ends with, as an EventValidationError (failing the test otherwise). */
async function refusal(work: Promise<unknown>): Promise<EventValidationError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EventValidationError);
  return error as EventValidationError;
}

/** The same checks on every transport (HOUSE_STYLE rule 13), on publish and on client events. */
describe.each<'memory' | 'redis'>(['memory', 'redis'])(
  'Standard Schema and DTO event schemas on the %s transport',
  transport => {
    let redis: RedisServer | undefined;
    let app: INestApplication;
    let bus: EventBusService;
    let url: string;
    const clients: TestClient[] = [];
    const seen = new Collector<EventEnvelope>();

    const connect = async (userId: string) => {
      const client = await connectClient(url, { token: tokenFor(userId) });
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      if (transport === 'redis') redis = await RedisServer.start();
      app = await NestFactory.create(
        GatewayAppModule.forRoot(
          {
            transport,
            ...(redis ? { redis: { url: redis.url } } : {}),
            schemas,
          },
          {
            clientEvents: {
              allow: {
                'schema.order.created': null,
                'schema.user.renamed': null,
                'schema.coupon.redeemed': null,
              },
            },
          },
        ),
        { logger: ['error'], abortOnError: false },
      );
      app.useWebSocketAdapter(new EventBusIoAdapter(app));
      await app.listen(0, '127.0.0.1');
      url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      bus = app.get(EventBusService);
      await bus.subscribe('schema.**', seen.push);
    });

    afterAll(async () => {
      clients.splice(0).forEach(c => c.close());
      await app?.close();
      await redis?.stop();
    });

    it("delivers valid events with the schema's output: zod defaults and stripped keys, valibot's trim; a DTO's data as given", async () => {
      seen.clear();
      const order = await bus.publish('schema.order.created', {
        orderId: 'o1',
        extra: 'dropped by zod',
      });
      const renamed = await bus.publish('schema.user.renamed', {
        userId: 'u1',
        name: '  Ada  ',
      });
      const counted = await bus.publish('schema.item.counted', {
        count: 3,
        note: 'kept: the DTO only checks',
      });
      const events = await seen.waitFor(3);
      const data = Object.fromEntries(events.map(e => [e.id, e.data]));
      expect(data[order.eventId]).toEqual({ orderId: 'o1', currency: 'EUR' });
      expect(data[renamed.eventId]).toEqual({ userId: 'u1', name: 'Ada' });
      expect(data[counted.eventId]).toEqual({
        count: 3,
        note: 'kept: the DTO only checks',
      });
    });

    it('refuses invalid events with field and message, for each kind, and delivers none of them', async () => {
      seen.clear();
      const zodError = await refusal(
        bus.publish('schema.order.created', {
          orderId: 'o2',
          items: [{ sku: 'a' }, { sku: 7 }],
        }),
      );
      expect(zodError.field).toBe('data.items.1.sku');
      expect(zodError.message).toMatch(
        /^Event "schema\.order\.created" data failed validation against its registered zod schema: data\.items\.1\.sku: Invalid input: expected string, received number\.$/,
      );
      const missing = await refusal(bus.publish('schema.order.created', {}));
      expect(missing.field).toBe('data.orderId');

      const valibotError = await refusal(
        bus.publish('schema.user.renamed', { userId: 'u1', name: '   ' }),
      );
      expect(valibotError.field).toBe('data.name');
      expect(valibotError.message).toMatch(
        /registered valibot schema: data\.name: Invalid length: Expected >=1 but received 0\.$/,
      );

      const dtoError = await refusal(
        bus.publish('schema.item.counted', { count: 1000 }),
      );
      expect(dtoError.field).toBe('data.count');
      expect(dtoError.message).toMatch(/registered DTO: data\.count: count/);

      // Targeted publishes go through the same checks.
      const toUser = await refusal(
        bus.publishToUser('alice', 'schema.order.created', { orderId: '' }),
      );
      expect(toUser.field).toBe('data.orderId');

      const marker = await bus.publish('schema.order.created', {
        orderId: 'marker',
      });
      expect(await seen.until(e => e.id === marker.eventId)).toEqual([]);
    });

    it('awaits asynchronous schemas (zod async refine, valibot checkAsync)', async () => {
      seen.clear();
      const zodAsync = await refusal(
        bus.publish('schema.coupon.redeemed', { code: 'USED' }),
      );
      expect(zodAsync.field).toBe('data.code');
      expect(zodAsync.message).toMatch(
        /zod schema: data\.code: already redeemed/,
      );
      const valibotAsync = await refusal(
        bus.publish('schema.coupon.checked', { code: 'USED' }),
      );
      expect(valibotAsync.field).toBe('data');
      expect(valibotAsync.message).toMatch(
        /valibot schema: data: already redeemed/,
      );
      const ok = await bus.publish('schema.coupon.redeemed', { code: 'NEW' });
      const checked = await bus.publish('schema.coupon.checked', {
        code: 'NEW',
      });
      const events = await seen.waitFor(2);
      expect(events.map(e => e.id).sort()).toEqual(
        [ok.eventId, checked.eventId].sort(),
      );
    });

    it("stores the schema's output in the durable stream, and nothing of a refused event", async () => {
      const durable = new Collector<EventEnvelope>();
      const sub = await bus.subscribe('schema.user.renamed', durable.push, {
        durable: true,
        group: 'schemas-e2e',
      });
      await refusal(bus.publish('schema.user.renamed', { userId: 'u2' }));
      const marker = await bus.publish('schema.user.renamed', {
        userId: 'u2',
        name: ' Grace ',
      });
      expect(await durable.until(e => e.id === marker.eventId)).toEqual([]);
      expect(durable.items[0].data).toEqual({ userId: 'u2', name: 'Grace' });
      await sub.unsubscribe();
    });

    it("sends a socket the schema's output of an event published to its user", async () => {
      const alice = await connect('alice');
      await bus.publishToUser('alice', 'schema.order.created', {
        orderId: 'o3',
        extra: true,
      });
      await alice.events.until(e => e.type === 'schema.order.created');
      const event = alice.events.items.find(
        (e: ClientEvent) => e.type === 'schema.order.created',
      );
      expect(event?.data).toEqual({
        orderId: 'o3',
        currency: 'EUR',
      });
    });

    it('acks invalid client events with invalid and the field, publishes the valid ones as the schema outputs them', async () => {
      seen.clear();
      const bob = await connect('bob');
      const zodAck = await bob.request('publish', {
        type: 'schema.order.created',
        data: { orderId: 42 },
      });
      expect(zodAck).toMatchObject({ ok: false, code: 'invalid' });
      expect(zodAck.error).toMatch(/zod schema: data\.orderId: /);
      const valibotAck = await bob.request('publish', {
        type: 'schema.user.renamed',
        data: { userId: 'bob' },
      });
      expect(valibotAck).toMatchObject({ ok: false, code: 'invalid' });
      expect(valibotAck.error).toMatch(/valibot schema: data\.name: /);
      const asyncAck = await bob.request('publish', {
        type: 'schema.coupon.redeemed',
        data: { code: 'USED' },
      });
      expect(asyncAck).toMatchObject({ ok: false, code: 'invalid' });
      expect(asyncAck.error).toMatch(/data\.code: already redeemed/);

      const valid = await bob.request('publish', {
        type: 'schema.user.renamed',
        data: { userId: 'bob', name: ' Bob ' },
      });
      expect(valid).toMatchObject({ ok: true });
      const others = await seen.until(e => e.id === valid.eventId);
      expect(others).toEqual([]);
      const published = seen.items.find(e => e.id === valid.eventId);
      expect(published?.data).toEqual({ userId: 'bob', name: 'Bob' });
      expect(published?.metadata).toMatchObject({
        source: 'gateway',
        userId: 'bob',
      });
    });
  },
);

describe('event schemas at startup', () => {
  it('refuses a value that is neither a DTO class nor a Standard Schema, naming the type', async () => {
    const error = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          serviceName: 'schemas-e2e',
          logLevel: 'error',
          schemas: {
            'schema.order.created': schemas['schema.order.created'],
            'schema.bad': { parse: () => true } as never,
          },
        }),
      ],
    })
      .compile()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    expect((error as Error).message).toBe(
      `Option "schemas['schema.bad']" of EventBusModule is {}: give a class-validator DTO class or a Standard Schema v1 object (zod, valibot, arktype…).`,
    );
  });
});
