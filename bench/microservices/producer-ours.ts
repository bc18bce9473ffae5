/**
 * Producer child, our transport: a Nest application context with
 * EventBusModule on Redis and a `ClientsModule` client whose class is
 * `EventBusClientProxy`; each event is `client.emit('bench.event', data)`
 * (awaited with `lastValueFrom`), i.e. `EventBusService.publish`. The bus'
 * publisher connection writes a tick's commands in one write. env: REDIS_URL.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, type ClientProxy } from '@nestjs/microservices';
import { EventBusService } from '@shared-infra/event-bus';
import { EventBusClientProxy } from '@shared-infra/event-bus/microservices';
import { lastValueFrom } from 'rxjs';
import { makeStampedData } from '../fanout/payload.js';
import { runPublisher } from '../fanout/publisher-common.js';
import { fail } from '../lib/ipc.js';
import { CLIENT, EVENT_NAME } from './common.js';
import { benchBusModule } from '../lib/bus-app.js';

@Module({
  imports: [
    benchBusModule('bench-producer'),
    ClientsModule.registerAsync([
      {
        name: CLIENT,
        inject: [EventBusService],
        useFactory: (bus: EventBusService) => ({
          customClass: EventBusClientProxy,
          options: { bus },
        }),
      },
    ]),
  ],
})
class ProducerModule {}

runPublisher(async () => {
  const app = await NestFactory.createApplicationContext(ProducerModule, {
    logger: ['error', 'warn'],
  });
  const client = app.get<ClientProxy>(CLIENT);
  await client.connect();
  return {
    publish: seq =>
      lastValueFrom(client.emit(EVENT_NAME, makeStampedData(seq))),
    close: () => app.close(),
  };
}).catch(fail);
