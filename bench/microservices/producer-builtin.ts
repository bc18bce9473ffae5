/**
 * Producer child, the baseline: a Nest application context with a
 * `ClientsModule` client on the built-in `Transport.REDIS` (ClientRedis); each
 * event is `client.emit('bench.event', data)` (awaited with `lastValueFrom`),
 * i.e. `PUBLISH bench.event <JSON of { pattern, data }>`. ioredis defaults
 * (no auto-pipelining) unless BUILTIN_AUTOPIPELINING=1. env: REDIS_URL.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientsModule,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { makeStampedData } from '../fanout/payload.js';
import { runPublisher } from '../fanout/publisher-common.js';
import { fail } from '../lib/ipc.js';
import { CLIENT, EVENT_NAME, builtinRedisOptions } from './common.js';

@Module({
  imports: [
    ClientsModule.register([
      {
        name: CLIENT,
        transport: Transport.REDIS,
        options: builtinRedisOptions(),
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
