import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventBusHealthModule } from '@shared-infra/event-bus';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { HealthController } from './health.controller.js';

function limit(name: string, fallback?: number): number | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : Number(value);
}

@Module({
  imports: [
    TerminusModule.forRoot(),
    EventBusHealthModule.forRoot({
      timeout: 1000,
      durable: {
        maxPending: limit('HEALTH_MAX_PENDING', 1000),
        maxLag: limit('HEALTH_MAX_LAG', 10_000),
        // Not checked by default: taking an instance out of rotation does not fix dead letters.
        // Alert on eventbus_dead_letters instead, or set HEALTH_MAX_DEAD_LETTERS.
        maxDeadLetters: limit('HEALTH_MAX_DEAD_LETTERS'),
      },
    }),
    // For the gateway's indicator (RealtimeModule re-exports the gateway module).
    RealtimeModule,
  ],
  controllers: [HealthController],
})
export class HealthModule {}
