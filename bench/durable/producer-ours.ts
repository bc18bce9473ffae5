/** Producer child, the bus side: `eventBus.publish('bench.job', data)` (XADD + PUBLISH, pipelined). */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBusModule, EventBusService } from '@shared-infra/event-bus';
import { fail } from '../lib/ipc.js';
import { DURABLE_TYPE, makeDurableData, runProducer } from './common.js';

@Module({
  imports: [
    EventBusModule.forRoot({
      serviceName: 'bench-producer',
      transport: 'redis',
      redis: { url: process.env.REDIS_URL },
      logLevel: 'warn',
    }),
  ],
})
class ProducerModule {}

runProducer(async () => {
  const app = await NestFactory.createApplicationContext(ProducerModule, {
    logger: ['error', 'warn'],
  });
  const bus = app.get(EventBusService);
  return {
    publish: seq => bus.publish(DURABLE_TYPE, makeDurableData(seq)),
    close: () => app.close(),
  };
}).catch(fail);
