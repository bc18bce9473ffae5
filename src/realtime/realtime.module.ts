import { Module } from '@nestjs/common';
import { EventBusGatewayModule } from '@shared-infra/event-bus/gateway';
import { AuthModule } from '../auth/auth.module.js';
import { mayJoinChatRoom } from '../chat/chat-ids.js';
import { CHAT_SOCKET_EVENTS } from '../chat/chat.events.js';
import { jwtSecret } from '../auth/jwt-secret.js';
import { PhotoOwners } from '../photos/photo-owners.service.js';
import { PhotosModule } from '../photos/photos.module.js';
import { DevicesController } from './devices.controller.js';
import { DevicePresenceForwarder } from './device-presence.forwarder.js';
import { PhotoStatusGateway } from './photo-status.gateway.js';
import { PhotoStatusTracker } from './photo-status.service.js';

/**
 * The browser side: the bus' socket.io gateway on the app's HTTP port. Sockets
 * authenticate with a JWT; a user may watch the rooms of the photos they own.
 */
@Module({
  imports: [
    AuthModule,
    EventBusGatewayModule.forRootAsync({
      imports: [PhotosModule],
      inject: [PhotoOwners],
      useFactory: (owners: PhotoOwners) => ({
        jwt: { secret: jwtSecret() },
        authorizeRoom: (identity, room) =>
          room.startsWith('chat:')
            ? mayJoinChatRoom(identity.userId, room, (userId, photoId) =>
                owners.isOwner(userId, photoId),
              )
            : room.startsWith('photo:') &&
              owners.isOwner(identity.userId, room.slice('photo:'.length)),
        // Seed 002's socket names for the chat's bus events (message:new, …).
        socketEventNames: CHAT_SOCKET_EVENTS,
        corsOrigins: process.env.CORS_ORIGINS
          ? process.env.CORS_ORIGINS.split(',')
          : [],
      }),
    }),
  ],
  controllers: [DevicesController],
  providers: [PhotoStatusTracker, PhotoStatusGateway, DevicePresenceForwarder],
  // The gateway's service and health indicator, for HealthModule.
  exports: [EventBusGatewayModule],
})
export class RealtimeModule {}
