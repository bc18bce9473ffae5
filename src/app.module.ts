import { Module } from '@nestjs/common';
import { EventBusModule } from '@shared-infra/event-bus';
import { ActivityModule } from './activity/activity.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PhotoUploadedDto } from './photos/dto/photo-uploaded.dto.js';
import { PhotosModule } from './photos/photos.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';

const redisUrl = process.env.REDIS_URL;

@Module({
  imports: [
    EventBusModule.forRoot({
      serviceName: process.env.SERVICE_NAME ?? 'photo-service',
      transport: redisUrl ? 'redis' : 'memory',
      redis: redisUrl ? { url: redisUrl } : undefined,
      schemas: { 'photo.uploaded': PhotoUploadedDto },
      logLevel: (process.env.LOG_LEVEL as 'debug' | 'log' | 'warn' | 'error' | undefined) ?? 'log',
      metrics: { enabled: true, typeSegments: 2 },
    }),
    PhotosModule,
    ActivityModule,
    HealthModule,
    MetricsModule,
    RealtimeModule,
  ],
})
export class AppModule {}
