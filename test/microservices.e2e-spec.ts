import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
} from '@jest/globals';
import type {
  INestApplicationContext,
  INestMicroservice,
  Provider,
  Type,
} from '@nestjs/common';
import { ClientsModule, type ClientProxy } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  EventBusService,
  EventValidationError,
  RequestResponseNotSupportedError,
} from '@shared-infra/event-bus';
import {
  EventBusClientProxy,
  EventBusServer,
} from '@shared-infra/event-bus/microservices';
import { lastValueFrom } from 'rxjs';
import {
  Deliveries,
  type Delivery,
} from './fixtures/microservices/deliveries.service.js';
import { DurableOrdersController } from './fixtures/microservices/durable-orders.controller.js';
import { FlakyController } from './fixtures/microservices/flaky.controller.js';
import { ImageEventsController } from './fixtures/microservices/image-events.controller.js';
import { QuoteRequestController } from './fixtures/microservices/quote-request.controller.js';
import { RelayAuditConsumer } from './fixtures/microservices/relay-audit.consumer.js';
import {
  BUS_CLIENT,
  RelayController,
} from './fixtures/microservices/relay.controller.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';

const handled = (items: Delivery[]) =>
  items.map(d => `${d.handler} ${d.envelope.type}`).sort();
/** A delivery of the marker a test publishes after the events under test. */
const isMarker = (d: Delivery) =>
  (d.envelope.data as { marker?: boolean }).marker === true;

/** `@EventPattern` controllers and `ClientProxy.emit` on the event bus, over a real Redis. */
describe('@nestjs/microservices interop (EventBusServer, EventBusClientProxy)', () => {
  let redis: RedisServer;
  let channelPrefix: string;
  const apps: INestApplicationContext[] = [];

  /** A microservice as a team would write it for Transport.REDIS, with the strategy swapped. */
  async function microservice(
    controllers: Type[],
    providers: Provider[] = [],
    serviceName = 'ms-e2e',
    configure: (server: EventBusServer) => void = () => undefined,
  ): Promise<INestMicroservice> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          serviceName,
          transport: 'redis',
          logLevel: 'error',
          redis: { url: redis.url, channelPrefix },
        }),
        ClientsModule.registerAsync([
          {
            name: BUS_CLIENT,
            inject: [EventBusService],
            useFactory: (bus: EventBusService) => ({
              customClass: EventBusClientProxy,
              options: { bus },
            }),
          },
        ]),
      ],
      controllers,
      providers: [Deliveries, ...providers],
    }).compile();
    const server = new EventBusServer(moduleRef.get(EventBusService));
    configure(server);
    const app = moduleRef.createNestMicroservice({
      strategy: server,
      logger: false,
    });
    apps.push(app);
    // NOTE: listen() alone, as in Nest's docs: in Nest 12.1 init() before listen() runs the bootstrap hooks twice.
    await app.listen();
    return app;
  }

  /** A second app that only publishes, so every event crosses Redis. */
  async function publisher(): Promise<EventBusService> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          serviceName: 'publisher',
          transport: 'redis',
          logLevel: 'error',
          redis: { url: redis.url, channelPrefix },
        }),
      ],
    }).compile();
    const app = await moduleRef.init();
    apps.push(app);
    return app.get(EventBusService);
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  beforeEach(() => {
    channelPrefix = `ms${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}:`;
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map(app => app.close()));
  });

  afterAll(async () => {
    await redis.stop();
  });

  it('EventBusService.publish reaches @EventPattern handlers: data as payload, the envelope through EventBusContext', async () => {
    const app = await microservice([ImageEventsController]);
    const deliveries = app.get(Deliveries);
    const bus = await publisher();

    const result = await bus.publish('image.uploaded', { photoId: 'p1' });
    await deliveries.waitFor(2);
    await bus.publish('image.uploaded', { photoId: 'p2', marker: true });
    const items = await deliveries.until(isMarker);
    expect(handled(items)).toEqual([
      'any(image.*) image.uploaded',
      'uploaded image.uploaded',
    ]);
    for (const item of items) {
      expect(item.payload).toEqual({ photoId: 'p1' });
      expect(item.envelope.id).toBe(result.eventId);
      expect(item.envelope.metadata.traceId).toBe(result.traceId);
      expect(item.envelope.metadata.source).toBe('publisher');
    }
  });

  it("the README's hybrid recipe works as written: connectMicroservice, startAllMicroservices, then listen", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          serviceName: 'ms-hybrid',
          transport: 'redis',
          logLevel: 'error',
          redis: { url: redis.url, channelPrefix },
        }),
      ],
      controllers: [ImageEventsController],
      providers: [Deliveries],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    app.connectMicroservice({
      strategy: new EventBusServer(app.get(EventBusService)),
    });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    const deliveries = app.get(Deliveries);
    const bus = await publisher();
    // The server subscribes once the bus has started, with the app: within a moment of listen().
    await waitUntil(
      async () => {
        await bus.publish('image.uploaded', { photoId: 'hybrid' });
        return deliveries.items.length > 0;
      },
      5000,
      'the hybrid app to handle an event',
    );
    await bus.publish('image.uploaded', { photoId: 'hybrid', marker: true });
    expect(handled(await deliveries.until(isMarker))).toEqual(
      expect.arrayContaining([
        'uploaded image.uploaded',
        'any(image.*) image.uploaded',
      ]),
    );
  });

  it('runs processing hooks (tracing instrumentation) around each handler when they are set', async () => {
    const steps: string[] = [];
    const app = await microservice(
      [ImageEventsController],
      [],
      'ms-hooks',
      server => {
        server.setOnProcessingStartHook((transportId, context, done) => {
          steps.push(
            `start ${(context as { getPattern(): string }).getPattern()}`,
          );
          return done();
        });
        server.setOnProcessingEndHook((transportId, context) => {
          steps.push(
            `end ${(context as { getPattern(): string }).getPattern()}`,
          );
        });
      },
    );
    const deliveries = app.get(Deliveries);
    const bus = await publisher();
    await bus.publish('image.uploaded', { photoId: 'p9' });
    await deliveries.waitFor(2);
    await waitUntil(() => steps.length === 4, 5000, 'both end hooks');
    expect(steps.sort()).toEqual([
      'end image.*',
      'end image.uploaded',
      'start image.*',
      'start image.uploaded',
    ]);
  });

  it('matches wildcard patterns with the bus grammar: image.* is one segment', async () => {
    const app = await microservice([ImageEventsController]);
    const deliveries = app.get(Deliveries);
    const bus = await publisher();

    await bus.publish('image.deleted', { photoId: 'p1' });
    await bus.publish('image.processing.started', { photoId: 'p1' });
    await bus.publish('images.deleted', { photoId: 'p1' });
    await bus.publish('image', { photoId: 'p1' });
    await bus.publish('image.deleted', { photoId: 'p2', marker: true });
    await deliveries.waitFor(1);
    expect(handled(await deliveries.until(isMarker))).toEqual([
      'any(image.*) image.deleted',
    ]);
  });

  it('ClientProxy.emit publishes on the bus: @OnEvent handlers get it, inside the trace of the handled event', async () => {
    const app = await microservice([RelayController], [RelayAuditConsumer]);
    const deliveries = app.get(Deliveries);
    const bus = await publisher();

    const start = await bus.publish('relay.start', { n: 7 });
    await deliveries.waitFor(2);
    const items = await deliveries.settle();
    expect(handled(items)).toEqual(['audit relay.done', 'relay relay.start']);
    const done = items.find(d => d.handler === 'audit')!.envelope;
    expect(done.data).toEqual({ n: 7 });
    expect(done.metadata.source).toBe('ms-e2e');
    expect(done.metadata.traceId).toBe(start.traceId);
    expect(done.metadata.causationId).toBe(start.eventId);
  });

  it('emit() validates through the bus and resolves the publish result', async () => {
    const app = await microservice([]);
    const client = app.get<ClientProxy>(BUS_CLIENT);

    await expect(
      lastValueFrom(client.emit('Not A Type', {})),
    ).rejects.toBeInstanceOf(EventValidationError);
    const result = await lastValueFrom(client.emit('relay.done', { n: 1 }));
    expect(result).toMatchObject({ success: true, type: 'relay.done' });
    // Nest's own checks stay: no data is an InvalidMessageException.
    await expect(
      lastValueFrom(client.emit('relay.done', undefined)),
    ).rejects.toThrow(/invalid data or message pattern/i);
    // Hot: the event goes out without a subscriber, and a late subscriber still gets the result.
    const unobserved = client.emit('relay.done', { n: 2 });
    await new Promise(r => setTimeout(r, 50));
    expect(await lastValueFrom(unobserved)).toMatchObject({
      success: true,
      type: 'relay.done',
    });
    // An unobserved failure does not surface as an unhandled rejection.
    client.emit('Not A Type', {});
    await new Promise(r => setTimeout(r, 20));
  });

  it('durable extras: two instances in one group handle each event exactly once between them', async () => {
    const a = await microservice(
      [DurableOrdersController],
      [],
      'billing-service',
    );
    const b = await microservice(
      [DurableOrdersController],
      [],
      'billing-service',
    );
    const bus = a.get(EventBusService);

    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push((await bus.publish('order.placed', { i })).eventId);
    const both = () => [...a.get(Deliveries).items, ...b.get(Deliveries).items];
    await waitUntil(() => both().length >= 20, 10_000, '20 durable deliveries');
    // One more order after them: once it is handled, the group has read past every earlier entry.
    const marker = (await bus.publish('order.placed', { i: 20 })).eventId;
    await waitUntil(
      () => both().some(d => d.envelope.id === marker),
      10_000,
      'the order after them',
    );
    expect(
      both()
        .map(d => d.envelope.id)
        .filter(id => id !== marker)
        .sort(),
    ).toEqual([...ids].sort());
    // Acknowledged after the handler returns: the last ack may still be on its way.
    await waitUntil(
      async () => (await bus.getDurableLag()).every(g => g.pending === 0),
      5000,
      'every entry acknowledged',
    );
    const lag = await bus.getDurableLag();
    expect(lag).toEqual([
      expect.objectContaining({
        stream: 'order',
        group: 'billing',
        pending: 0,
      }),
    ]);
  });

  it('a handler error reaches the bus, which retries it with the extras retry policy', async () => {
    const app = await microservice([FlakyController]);
    const deliveries = app.get(Deliveries);
    const bus = await publisher();

    await bus.publish('job.run', { id: 1 });
    await bus.publish('job.run', { id: 2 });
    await deliveries.waitFor(4);
    expect((await deliveries.settle(300)).map(d => d.handler).sort()).toEqual([
      'attempt-failed',
      'attempt-failed',
      'attempt-ok',
      'attempt-ok',
    ]);
    await waitUntil(
      () => app.get(EventBusService).getStats().eventsRetried >= 2,
      5000,
      'both retries counted',
    );
    expect(app.get(EventBusService).getStats()).toMatchObject({
      eventsRetried: 2,
      eventsFailed: 0,
    });
  });

  it('refuses request/response: @MessagePattern fails listen() and send() errors, both saying what to use instead', async () => {
    await expect(microservice([QuoteRequestController])).rejects.toThrow(
      RequestResponseNotSupportedError,
    );
    await expect(microservice([QuoteRequestController])).rejects.toThrow(
      /@MessagePattern "price.quote".*Use @EventPattern and publish a follow-up event/,
    );

    const app = await microservice([]);
    const client = app.get<ClientProxy>(BUS_CLIENT);
    const sent = lastValueFrom(client.send('price.quote', { sku: 'a' }));
    await expect(sent).rejects.toBeInstanceOf(RequestResponseNotSupportedError);
    await expect(sent).rejects.toThrow(/not supported.*Use emit\(\)/);
  });
});
