/**
 * Subscriber child, the bus side: a Nest application context with
 * EventBusModule on Redis and one provider whose `@OnEvent('bench.*')` method
 * counts events (`@OnEvent('bench.tick')` with BENCH_EXACT=1: the bus then
 * SUBSCRIBEs instead of PSUBSCRIBE). env: REDIS_URL.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OnEvent, type EventEnvelope } from '@shared-infra/event-bus';
import { fail } from '../lib/ipc.js';
import { EVENT_PATTERN, EVENT_TYPE, type StampedData } from './payload.js';
import { DeliveryCounter, runSubscriber } from './subscriber-common.js';
import { benchBusModule } from '../lib/bus-app.js';

const counter = new DeliveryCounter();

@Injectable()
class BenchConsumer {
  @OnEvent(process.env.BENCH_EXACT === '1' ? EVENT_TYPE : EVENT_PATTERN)
  onTick(event: EventEnvelope<string, StampedData>): void {
    // The envelope's JSON is byte for byte what travelled: the codec writes the same keys in the same order.
    if (counter.needsSample)
      counter.sample(Buffer.byteLength(JSON.stringify(event)));
    if (event.data.seq !== undefined) counter.hit(event.data.sentAt);
  }
}

@Module({
  imports: [benchBusModule('bench-subscriber')],
  providers: [BenchConsumer],
})
class SubscriberModule {}

runSubscriber(counter, async () => {
  const app = await NestFactory.createApplicationContext(SubscriberModule, {
    logger: ['error', 'warn'],
  });
  return () => app.close();
}).catch(fail);
