import { Logger, Module } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { EventBusGatewayModule } from '@shared-infra/event-bus/gateway';
import { PhotoOwners } from '../photos/photo-owners.service.js';
import { PhotosModule } from '../photos/photos.module.js';
import { DemoTokenController } from './demo-token.controller.js';
import { PhotoStatusGateway } from './photo-status.gateway.js';
import { PhotoStatusTracker } from './photo-status.service.js';

const DEV_SECRET = 'demo-secret-change-me-demo-secret-change-me';

let warned = false;

function jwtSecret(): string {
  const secret = process.env.JWT_SECRET;
  if (secret) return secret;
  if (!warned) new Logger('Realtime').warn('JWT_SECRET is not set: using the demo secret. Set JWT_SECRET anywhere but on a laptop.');
  warned = true;
  return DEV_SECRET;
}

/**
 * The browser side: the bus' socket.io gateway on the app's HTTP port. Sockets
 * authenticate with a JWT; a user may watch the rooms of the photos they own.
 */
@Module({
  imports: [
    EventBusGatewayModule.forRootAsync({
      imports: [PhotosModule],
      inject: [PhotoOwners],
      useFactory: (owners: PhotoOwners) => ({
        jwt: { secret: jwtSecret() },
        authorizeRoom: (identity, room) => room.startsWith('photo:') && owners.isOwner(identity.userId, room.slice('photo:'.length)),
        corsOrigins: process.env.CORS_ORIGINS ? process.env.CORS_ORIGINS.split(',') : [],
      }),
    }),
  ],
  controllers: [DemoTokenController],
  providers: [{ provide: JwtService, useFactory: () => new JwtService({ secret: jwtSecret() }) }, PhotoStatusTracker, PhotoStatusGateway],
})
export class RealtimeModule {}
