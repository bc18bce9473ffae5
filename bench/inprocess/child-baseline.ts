/**
 * The baseline: a Nest application context with `@nestjs/event-emitter`'s
 * EventEmitterModule and one provider whose `@OnEvent('bench.tick')` method
 * (that package's decorator) counts the event; each event is
 * `EventEmitter2.emit('bench.tick', data)`, synchronous.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  EventEmitter2,
  EventEmitterModule,
  OnEvent,
} from '@nestjs/event-emitter';
import { fail } from '../lib/ipc.js';
import type { BenchData } from '../fanout/payload.js';
import { EVENT_TYPE, onTick, runInProcessChild } from './common.js';

@Injectable()
class TickListener {
  @OnEvent(EVENT_TYPE)
  onTick(data: BenchData): void {
    onTick(data);
  }
}

@Module({
  imports: [EventEmitterModule.forRoot()],
  providers: [TickListener],
})
class BaselineModule {}

runInProcessChild(async () => {
  const app = await NestFactory.createApplicationContext(BaselineModule, {
    logger: ['error', 'warn'],
  });
  const emitter = app.get(EventEmitter2);
  return {
    send: data => emitter.emit(EVENT_TYPE, data),
    close: () => app.close(),
  };
}).catch(fail);
