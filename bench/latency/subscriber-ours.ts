/**
 * Subscriber child, the bus side: a Nest application context with
 * EventBusModule on Redis and one provider whose `@OnEvent('bench.tick')`
 * method records the latency (an exact type: the bus SUBSCRIBEs, as the
 * baseline does). env: REDIS_URL.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OnEvent, type EventEnvelope } from '@shared-infra/event-bus';
import { benchBusModule } from '../lib/bus-app.js';
import { fail } from '../lib/ipc.js';
import { EVENT_TYPE, type StampedData } from '../fanout/payload.js';
import { DeliveryCounter, runSubscriber } from '../fanout/subscriber-common.js';

const recorder = new DeliveryCounter();

@Injectable()
class LatencyConsumer {
  @OnEvent(EVENT_TYPE)
  onTick(event: EventEnvelope<string, StampedData>): void {
    recorder.hit(event.data.sentAt);
  }
}

@Module({
  imports: [benchBusModule('bench-subscriber')],
  providers: [LatencyConsumer],
})
class SubscriberModule {}

runSubscriber(recorder, async () => {
  const app = await NestFactory.createApplicationContext(SubscriberModule, {
    logger: ['error', 'warn'],
  });
  return () => app.close();
}).catch(fail);
