/**
 * Consumer child, our transport: a Nest microservice whose strategy is
 * `EventBusServer` on the app's EventBusService (Redis), with one controller
 * whose `@EventPattern('bench.event')` method counts events. Started with
 * `listen()` alone (in Nest 12.1, `init()` first runs the bootstrap hooks twice).
 * env: REDIS_URL.
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Ctx,
  EventPattern,
  Payload,
  type AsyncMicroserviceOptions,
} from '@nestjs/microservices';
import { EventBusService } from '@shared-infra/event-bus';
import {
  EventBusServer,
  type EventBusContext,
} from '@shared-infra/event-bus/microservices';
import type { StampedData } from '../fanout/payload.js';
import { fail } from '../lib/ipc.js';
import { EVENT_NAME, HandledCounter, runConsumer } from './common.js';
import { benchBusModule } from '../lib/bus-app.js';

const counter = new HandledCounter();

@Controller()
class BenchController {
  @EventPattern<string>(EVENT_NAME)
  onEvent(@Payload() data: StampedData, @Ctx() context: EventBusContext): void {
    // The envelope's JSON is byte for byte what travelled: the codec writes the same keys in the same order.
    if (counter.needsSample)
      counter.sample(Buffer.byteLength(JSON.stringify(context.getEnvelope())));
    if (data.seq !== undefined) counter.hit(data.sentAt);
  }
}

@Module({
  imports: [benchBusModule('bench-consumer')],
  controllers: [BenchController],
})
class ConsumerModule {}

runConsumer(counter, async () => {
  const app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(
    ConsumerModule,
    {
      inject: [EventBusService],
      useFactory: (bus: EventBusService) => ({
        strategy: new EventBusServer(bus),
      }),
      logger: ['error', 'warn'],
    },
  );
  await app.listen();
  const bus = app.get(EventBusService);
  return {
    close: () => app.close(),
    extra: () => {
      const stats = bus.getStats();
      return {
        received: stats.eventsReceived,
        dropped: stats.eventsDropped,
        failed: stats.eventsFailed,
      };
    },
  };
}).catch(fail);
