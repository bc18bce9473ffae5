/**
 * Publisher child, the bus side: a Nest application context with EventBusModule
 * on Redis (no handlers); each event is `eventBus.publish('bench.tick', data)`.
 * The bus' publisher connection has ioredis auto-pipelining on. env: REDIS_URL.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBusModule, EventBusService } from '@shared-infra/event-bus';
import { fail } from '../lib/ipc.js';
import { EVENT_TYPE, makeData } from './payload.js';
import { runPublisher } from './publisher-common.js';

@Module({
  imports: [
    EventBusModule.forRoot({
      serviceName: 'bench-publisher',
      transport: 'redis',
      redis: { url: process.env.REDIS_URL },
      logLevel: 'warn',
    }),
  ],
})
class PublisherModule {}

runPublisher(async () => {
  const app = await NestFactory.createApplicationContext(PublisherModule, {
    logger: ['error', 'warn'],
  });
  const bus = app.get(EventBusService);
  return {
    publish: seq => bus.publish(EVENT_TYPE, makeData(seq)),
    close: () => app.close(),
  };
}).catch(fail);
