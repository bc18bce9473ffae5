import { Module } from '@nestjs/common';
import { EventBusModule } from '@shared-infra/event-bus';
import { ActivityModule } from './activity/activity.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PhotoUploadedDto } from './photos/dto/photo-uploaded.dto.js';
import { PhotosModule } from './photos/photos.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';

const LOG_LEVELS = ['debug', 'log', 'info', 'warn', 'error'] as const;

/**
 * LOG_LEVEL, checked: an unknown level would be passed to the bus, which refuses it
 * without naming the variable. Case is ignored (LOG_LEVEL=INFO); `info` is `log`.
 */
export function logLevelFromEnv(value = process.env.LOG_LEVEL): (typeof LOG_LEVELS)[number] {
  if (value === undefined || value === '') return 'log';
  const level = LOG_LEVELS.find(l => l === value.toLowerCase());
  if (!level) throw new Error(`LOG_LEVEL is ${JSON.stringify(value)}: use debug, log (or info), warn or error.`);
  return level;
}

@Module({
  imports: [
    // forRootAsync: the environment is read (and LOG_LEVEL checked) while Nest starts, so a bad
    // value ends in main.ts' "Demo failed to start" line rather than a stack trace from an import.
    EventBusModule.forRootAsync({
      useFactory: () => {
        const redisUrl = process.env.REDIS_URL;
        return {
          serviceName: process.env.SERVICE_NAME ?? 'photo-service',
          transport: redisUrl ? 'redis' : 'memory',
          redis: redisUrl ? { url: redisUrl } : undefined,
          schemas: { 'photo.uploaded': PhotoUploadedDto },
          logLevel: logLevelFromEnv(),
          metrics: { enabled: true, typeSegments: 2 },
        };
      },
    }),
    PhotosModule,
    ActivityModule,
    HealthModule,
    MetricsModule,
    RealtimeModule,
  ],
})
export class AppModule {}
