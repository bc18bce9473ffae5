/**
 * Consumer child, the bus side: `@OnEvent('bench.*', { durable: true })` in one
 * group, concurrency 64 (XREADGROUP COUNT ≤ 64, one XACK per event, pipelined).
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OnEvent, type EventEnvelope } from '@shared-infra/event-bus';
import { fail } from '../lib/ipc.js';
import {
  CONCURRENCY,
  DURABLE_PATTERN,
  GROUP,
  LatencyCounter,
  runConsumer,
  type DurableData,
} from './common.js';
import { benchBusModule } from '../lib/bus-app.js';

const counter = new LatencyCounter();

@Injectable()
class BenchWorker {
  @OnEvent(DURABLE_PATTERN, {
    durable: true,
    group: GROUP,
    concurrency: CONCURRENCY,
    startFrom: 'beginning',
  })
  handle(event: EventEnvelope<string, DurableData>): void {
    counter.hit(event.data.sentAt);
  }
}

@Module({
  imports: [
    benchBusModule('bench-consumer', {
      durable: { batchSize: CONCURRENCY, blockMs: 1000 },
    }),
  ],
  providers: [BenchWorker],
})
class ConsumerModule {}

runConsumer(counter, async () => {
  const app = await NestFactory.createApplicationContext(ConsumerModule, {
    logger: ['error', 'warn'],
  });
  return () => app.close();
}).catch(fail);
