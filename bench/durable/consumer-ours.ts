/**
 * Consumer child, the bus side: `@OnEvent('bench.*', { durable: true })` in one
 * group with concurrency 100 and `durable: { batchSize: 100, blockMs: 1000 }`,
 * the baseline's COUNT and BLOCK. env: REDIS_URL.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OnEvent, type EventEnvelope } from '@shared-infra/event-bus';
import { fail } from '../lib/ipc.js';
import { benchBusModule } from '../lib/bus-app.js';
import { DeliveryCounter, runSubscriber } from '../fanout/subscriber-common.js';
import type { StampedData } from '../fanout/payload.js';
import { BATCH, BLOCK_MS, DURABLE_PATTERN, GROUP } from './common.js';

const recorder = new DeliveryCounter();

@Injectable()
class BenchWorker {
  @OnEvent(DURABLE_PATTERN, {
    durable: true,
    group: GROUP,
    concurrency: BATCH,
    startFrom: 'beginning',
  })
  handle(event: EventEnvelope<string, StampedData>): void {
    recorder.hit(event.data.sentAt);
  }
}

@Module({
  imports: [
    benchBusModule('bench-consumer', {
      durable: { batchSize: BATCH, blockMs: BLOCK_MS },
    }),
  ],
  providers: [BenchWorker],
})
class ConsumerModule {}

runSubscriber(recorder, async () => {
  const app = await NestFactory.createApplicationContext(ConsumerModule, {
    logger: ['error', 'warn'],
  });
  return () => app.close();
}).catch(fail);
