import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  EventBusService,
  EventValidationError,
  OnEvent,
  type EventEnvelope,
  type EventBusModuleOptions,
} from '@shared-infra/event-bus';
import { RedisServer } from './setup/redis-server.js';
import { Collector } from './utils/collector.js';

type TransportCase = 'memory' | 'redis';

interface Order {
  id: string;
  lines: Array<{ sku: string; qty: number }>;
  note?: string;
}

/** What a handler saw on entry, before it wrote anything into its envelope. */
const snapshot = (event: EventEnvelope) =>
  JSON.parse(JSON.stringify(event)) as EventEnvelope<string, Order>;

/** Writes everywhere a handler can reach in its envelope. */
function vandalize(event: EventEnvelope): void {
  const data = event.data as Order;
  data.id = 'changed';
  data.lines.push({ sku: 'extra', qty: 99 });
  data.lines[0].qty = -1;
  event.metadata.source = 'changed';
  (event as { type: string }).type = 'changed.type';
}

const seenByDecorated = new Collector<EventEnvelope<string, Order>>();

@Injectable()
class DecoratedWriter {
  // No guards, interceptors or pipes: the bus calls this method directly.
  @OnEvent('order.placed')
  placed(event: EventEnvelope): void {
    seenByDecorated.push(snapshot(event));
    vandalize(event);
  }
}

/** What a handler may assume about its payload (README, Handlers: Payload), on each transport. */
describe.each<TransportCase>(['memory', 'redis'])(
  'payloads on the %s transport',
  transport => {
    let redis: RedisServer | undefined;
    let app: INestApplicationContext;
    let bus: EventBusService;

    beforeAll(async () => {
      const options: EventBusModuleOptions = {
        serviceName: 'payload-service',
        transport,
        logLevel: 'error',
        limits: { maxDataBytes: 2048, maxDepth: 8 },
        durable: { blockMs: 200 },
      };
      if (transport === 'redis') {
        redis = await RedisServer.start();
        options.redis = { url: redis.url };
      }
      const moduleRef = await Test.createTestingModule({
        imports: [EventBusModule.forRoot(options)],
        providers: [DecoratedWriter],
      }).compile();
      app = await moduleRef.init();
      bus = app.get(EventBusService);
    });

    afterAll(async () => {
      await app?.close();
      await redis?.stop();
    });

    const order = (): Order => ({
      id: 'o1',
      lines: [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 2 },
      ],
    });

    it('gives every handler its own copy: what one handler writes, no other handler sees', async () => {
      seenByDecorated.clear();
      const first = new Collector<EventEnvelope<string, Order>>();
      const second = new Collector<EventEnvelope<string, Order>>();
      const subs = await Promise.all(
        [first, second].map(seen =>
          bus.subscribe('order.placed', event => {
            seen.push(snapshot(event));
            vandalize(event);
          }),
        ),
      );
      try {
        const result = await bus.publish('order.placed', order());
        const views = [
          ...(await first.waitFor(1)),
          ...(await second.waitFor(1)),
          ...(await seenByDecorated.waitFor(1)),
        ];
        for (const view of views) {
          expect(view.id).toBe(result.eventId);
          expect(view.type).toBe('order.placed');
          expect(view.data).toEqual(order());
          expect(view.metadata.source).toBe('payload-service');
        }
      } finally {
        await Promise.all(subs.map(sub => sub.unsubscribe()));
      }
    });

    it('takes the data at publish: what the publisher changes afterwards is not delivered', async () => {
      const seen = new Collector<EventEnvelope<string, Order>>();
      const sub = await bus.subscribe('order.edited', event =>
        seen.push(snapshot(event)),
      );
      try {
        const data = order();
        const sent = bus.publish('order.edited', data);
        // Delivery is asynchronous: these writes happen before any handler runs.
        data.id = 'changed';
        data.lines.length = 0;
        await sent;
        const [event] = await seen.waitFor(1);
        expect(event.data).toEqual(order());
      } finally {
        await sub.unsubscribe();
      }
    });

    it('delivers data as its JSON: a Date as its ISO string, undefined properties left out, toJSON applied', async () => {
      const seen = new Collector<EventEnvelope>();
      const sub = await bus.subscribe('order.dated', event => seen.push(event));
      try {
        const at = new Date('2026-01-02T03:04:05.678Z');
        await bus.publish('order.dated', {
          at,
          gone: undefined,
          money: { toJSON: () => '12.50 EUR' },
          list: [1, 'two', null, true],
          zero: -0,
        });
        const [event] = await seen.waitFor(1);
        expect(event.data).toStrictEqual({
          at: '2026-01-02T03:04:05.678Z',
          money: '12.50 EUR',
          list: [1, 'two', null, true],
          zero: 0,
        });
      } finally {
        await sub.unsubscribe();
      }
    });

    it('refuses what JSON or the limits refuse, with the same errors, and sends nothing', async () => {
      const seen = new Collector<EventEnvelope>();
      const sub = await bus.subscribe('order.refused', event =>
        seen.push(event),
      );
      try {
        const cycle: Record<string, unknown> = { id: 'c' };
        cycle.self = cycle;
        let deep: unknown = 'bottom';
        for (let i = 0; i < 9; i++) deep = [deep];
        const cases: Array<[unknown, RegExp, number | undefined]> = [
          [{ n: 10n }, /cannot be serialized to JSON .*BigInt/, undefined],
          [cycle, /cannot be serialized to JSON .*circular/, undefined],
          [deep, /nested more than 8 levels/, 8],
          [{ text: 'x'.repeat(3000) }, /over the limit of 2048 bytes/, 2048],
          [undefined, /data/, undefined],
        ];
        for (const [data, message, limit] of cases) {
          const error = await bus.publish('order.refused', data).then(
            () => undefined,
            (caught: unknown) => caught,
          );
          expect(error).toBeInstanceOf(EventValidationError);
          expect((error as EventValidationError).message).toMatch(message);
          expect((error as EventValidationError).field).toBe('data');
          expect((error as EventValidationError).limit).toBe(limit);
        }
        const missedBefore = bus.getStats().eventsMissed;
        const marker = await bus.publish('order.refused', { marker: true });
        // Nothing arrived before the marker, and its number follows the last accepted one: no gap.
        expect(await seen.until(event => event.id === marker.eventId)).toEqual(
          [],
        );
        expect(bus.getStats().eventsMissed).toBe(missedBefore);
      } finally {
        await sub.unsubscribe();
      }
    });

    it('keeps the durable entry as published when a fan-out handler writes into its copy', async () => {
      const durable = new Collector<EventEnvelope<string, Order>>();
      const fanOut = new Collector<EventEnvelope<string, Order>>();
      const subs = [
        await bus.subscribe('order.shipped', event => {
          fanOut.push(snapshot(event));
          vandalize(event);
        }),
        await bus.subscribe(
          'order.shipped',
          event => durable.push(snapshot(event)),
          { durable: true, group: 'payload-shipping' },
        ),
      ];
      try {
        await bus.publish('order.shipped', order());
        const [fromStream] = await durable.waitFor(1);
        const [heard] = await fanOut.waitFor(1);
        expect(heard.data).toEqual(order());
        expect(fromStream.data).toEqual(order());
        expect(fromStream.type).toBe('order.shipped');
      } finally {
        await Promise.all(subs.map(sub => sub.unsubscribe()));
      }
    });
  },
);
