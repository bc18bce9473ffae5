/**
 * Consumer child, the baseline: a Nest microservice on the built-in
 * `Transport.REDIS` (ServerRedis: SUBSCRIBE per pattern, no wildcards), with the
 * same controller as ours: one `@EventPattern('bench.event')` method that counts.
 * Started with `listen()`. env: REDIS_URL (BUILTIN_AUTOPIPELINING=1 passes
 * `enableAutoPipelining: true` to its ioredis clients).
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Ctx,
  EventPattern,
  Payload,
  RedisContext,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import type { StampedData } from '../fanout/payload.js';
import { fail } from '../lib/ipc.js';
import {
  EVENT_NAME,
  HandledCounter,
  builtinRedisOptions,
  runConsumer,
} from './common.js';

const counter = new HandledCounter();

@Controller()
class BenchController {
  @EventPattern<string>(EVENT_NAME)
  onEvent(@Payload() data: StampedData, @Ctx() context: RedisContext): void {
    // What travelled: the client's packet `{ pattern, data }` (IdentitySerializer), as JSON.
    if (counter.needsSample)
      counter.sample(
        Buffer.byteLength(
          JSON.stringify({ pattern: context.getChannel(), data }),
        ),
      );
    if (data.seq !== undefined) counter.hit(data.sentAt);
  }
}

@Module({ controllers: [BenchController] })
class ConsumerModule {}

runConsumer(counter, async () => {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    ConsumerModule,
    {
      transport: Transport.REDIS,
      options: builtinRedisOptions(),
      logger: ['error', 'warn'],
    },
  );
  await app.listen();
  return { close: () => app.close() };
}).catch(fail);
