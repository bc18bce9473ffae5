import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  EventBusModule,
  EventBusService,
  type EventBusModuleOptions,
} from '@shared-infra/event-bus';

/**
 * The bus every bench child on our side imports: EventBusModule on the Redis
 * at REDIS_URL, logging warnings and errors only, plus any `extra` options.
 * BENCH_BATCH_PUBLISHES=false sets `redis.batchPublishes: false`.
 */
export function benchBusModule(
  serviceName: string,
  extra: Partial<EventBusModuleOptions> = {},
): DynamicModule {
  return EventBusModule.forRoot({
    serviceName,
    transport: 'redis',
    redis: {
      url: process.env.REDIS_URL,
      ...(process.env.BENCH_BATCH_PUBLISHES === 'false'
        ? { batchPublishes: false }
        : {}),
    },
    logLevel: 'warn',
    ...extra,
  });
}

/**
 * The options of a publisher with `redis.frames` from BENCH_FRAMES (JSON:
 * `true`, or `{ maxEvents, maxBytes, maxDelayMs }`); none when it is unset.
 */
export function benchFramesOptions(): Partial<EventBusModuleOptions> {
  const frames = process.env.BENCH_FRAMES;
  if (!frames) return {};
  return {
    redis: {
      url: process.env.REDIS_URL,
      frames: JSON.parse(frames) as boolean | object,
    },
  };
}

/** A Nest application context holding the bench bus alone: a publishing child's whole app. */
export async function startBenchBus(
  serviceName: string,
  extra: Partial<EventBusModuleOptions> = {},
): Promise<{ bus: EventBusService; close: () => Promise<void> }> {
  @Module({ imports: [benchBusModule(serviceName, extra)] })
  class BenchBusModule {}

  const app = await NestFactory.createApplicationContext(BenchBusModule, {
    logger: ['error', 'warn'],
  });
  return { bus: app.get(EventBusService), close: () => app.close() };
}
