/**
 * Publisher child, our side: a Nest application context with EventBusModule
 * on Redis; each event is `bus.publishToRoom(ROOM, 'bench.tick', data)` (one
 * PUBLISH plus the room-history XADD, pipelined). env: REDIS_URL.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBusModule, EventBusService } from '@shared-infra/event-bus';
import { EVENT_TYPE, ROOM } from './common.js';
import { runPublisher } from './publisher-common.js';

@Module({
  imports: [
    EventBusModule.forRoot({
      serviceName: 'bench-gateway-publisher',
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
    publish: data => bus.publishToRoom(ROOM, EVENT_TYPE, data),
    close: () => app.close(),
  };
});
