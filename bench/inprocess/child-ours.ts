/**
 * The bus side: a Nest application context with EventBusModule on the memory
 * transport (what an app gets without REDIS_URL) and one provider whose
 * `@OnEvent('bench.tick')` method counts the event; each event is
 * `EventBusService.publish('bench.tick', data)`, whose promise the loop awaits.
 * BENCH_SCHEMA=true registers a class-validator DTO for the type (`schemas`),
 * so every publish is also validated against it.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  EventBusModule,
  EventBusService,
  OnEvent,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import {
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { fail } from '../lib/ipc.js';
import type { BenchData } from '../fanout/payload.js';
import { EVENT_TYPE, onTick, runInProcessChild } from './common.js';

/** The DTO of the bench event: every field of bench/fanout/payload.ts checked. */
class BenchTickDto {
  @IsString() seq!: string;
  @IsString() photoId!: string;
  @IsString() userId!: string;
  @IsString() filename!: string;
  @IsString() mimeType!: string;
  @IsInt() size!: number;
  @IsArray() @IsString({ each: true }) tags!: string[];
  @IsString() @MaxLength(2048) note!: string;
  @IsOptional() @IsString() sentAt?: string;
}

const withSchema = process.env.BENCH_SCHEMA === 'true';

@Injectable()
class TickConsumer {
  @OnEvent(EVENT_TYPE)
  onTick(event: EventEnvelope<string, BenchData>): void {
    onTick(event.data);
  }
}

@Module({
  imports: [
    EventBusModule.forRoot({
      serviceName: 'bench-inprocess',
      transport: 'memory',
      logLevel: 'warn',
      ...(withSchema ? { schemas: { [EVENT_TYPE]: BenchTickDto } } : {}),
    }),
  ],
  providers: [TickConsumer],
})
class OursModule {}

runInProcessChild(async () => {
  const app = await NestFactory.createApplicationContext(OursModule, {
    logger: ['error', 'warn'],
  });
  const bus = app.get(EventBusService);
  return {
    send: data => bus.publish(EVENT_TYPE, data),
    close: () => app.close(),
  };
}).catch(fail);
