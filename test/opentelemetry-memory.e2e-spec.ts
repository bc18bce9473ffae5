import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  EventBusModule,
  EventBusService,
  OnEvent,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { waitUntil } from './utils/collector.js';

const got: EventEnvelope[] = [];

@Injectable()
class Orders {
  constructor(private readonly bus: EventBusService) {}

  @OnEvent('order.placed')
  async onPlaced(event: EventEnvelope): Promise<void> {
    got.push(event);
    await this.bus.publish('order.confirmed', {});
  }

  @OnEvent('order.confirmed')
  onConfirmed(event: EventEnvelope): void {
    got.push(event);
  }
}

/**
 * OpenTelemetry on the memory transport, in this process: the in-process
 * path (no serialization) carries the trace context as Redis does, and the
 * bus follows the SDK's registration at run time.
 */
describe('OpenTelemetry on the memory transport', () => {
  const exporter = new InMemorySpanExporter();
  let provider: NodeTracerProvider;
  let app: INestApplicationContext;
  let bus: EventBusService;

  beforeAll(async () => {
    provider = new NodeTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    provider.register();
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          serviceName: 'otel-memory',
          transport: 'memory',
          logLevel: 'error',
        }),
      ],
      providers: [Orders],
    }).compile();
    app = await moduleRef.init();
    bus = app.get(EventBusService);
  });

  afterAll(async () => {
    await app?.close();
    await provider?.shutdown();
    trace.disable();
  });

  it('a publish inside a span and what its handler publishes share the trace', async () => {
    const result = await trace
      .getTracer('test')
      .startActiveSpan('checkout', async span => {
        try {
          return await bus.publish('order.placed', {});
        } finally {
          span.end();
        }
      });
    await waitUntil(() => got.length === 2, 5000, 'both events');
    await waitUntil(
      () =>
        exporter.getFinishedSpans().some(s => s.name === 'Orders.onConfirmed'),
      5000,
      'the last span',
    );
    const spans = exporter.getFinishedSpans();
    const named = (name: string) => spans.find(s => s.name === name)!;
    const checkout = named('checkout');
    const traceId = checkout.spanContext().traceId;
    expect(result.traceId).toBe(traceId);
    const chain = [
      'checkout',
      'publish order.placed',
      'Orders.onPlaced',
      'publish order.confirmed',
      'Orders.onConfirmed',
    ].map(named);
    for (let i = 1; i < chain.length; i++) {
      expect(chain[i].spanContext().traceId).toBe(traceId);
      expect(chain[i].parentSpanContext?.spanId).toBe(
        chain[i - 1].spanContext().spanId,
      );
    }
    expect(named('Orders.onPlaced').attributes['messaging.system']).toBe(
      'memory',
    );
    const [placed, confirmed] = got;
    expect(placed.metadata.traceparent).toBe(
      `00-${traceId}-${named('publish order.placed').spanContext().spanId}-01`,
    );
    expect(confirmed.metadata).toMatchObject({
      traceId,
      causationId: placed.id,
      correlationId: placed.metadata.correlationId,
    });
  });

  it('writes nothing once the provider is gone (the check follows the registration)', async () => {
    trace.disable();
    got.length = 0;
    exporter.reset();
    await bus.publish('order.placed', {});
    await waitUntil(() => got.length === 2, 5000, 'both events');
    for (const event of got) expect(event.metadata.traceparent).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
