import { Module } from '@nestjs/common';
import { EventBusModule } from '@shared-infra/event-bus';
import { EventBusAdminModule } from '@shared-infra/event-bus/admin';
import { ActivityModule } from './activity/activity.module.js';
import { AdminGuard } from './auth/admin.guard.js';
import { AuthModule } from './auth/auth.module.js';
import { ChatModule } from './chat/chat.module.js';
import { HealthModule } from './health/health.module.js';
import { logLevelFromEnv } from './log-level.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PhotoUploadedDto } from './photos/dto/photo-uploaded.dto.js';
import { PhotosModule } from './photos/photos.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';

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
    ChatModule,
    // The event bus dashboard: a token with the admin permission (see AdminGuard).
    EventBusAdminModule.forRoot({
      path: '/admin/event-bus',
      guard: AdminGuard,
      imports: [AuthModule],
    }),
  ],
})
export class AppModule {}
