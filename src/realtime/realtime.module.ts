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
import { PhotoSubscriptionGateway } from './photo-subscription.gateway.js';
import { socketSettingsFromEnv } from './socket-settings.js';

/**
 * The browser side: the bus' socket.io gateway on the app's HTTP port. Sockets
 * authenticate with a JWT; a user may watch the rooms of the photos they own
 * (`subscribe` { room: 'photo:<id>' }, or seed 003's `subscribe:photo` { photoId }).
 * Engine settings come from the environment (`socketSettingsFromEnv`).
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
        // CORS_ORIGINS / ALLOWED_ORIGINS, SOCKET_PING_TIMEOUT, SOCKET_PING_INTERVAL, SOCKET_MAX_BUFFER_SIZE, SOCKET_CORS_CREDENTIALS.
        ...socketSettingsFromEnv(),
      }),
    }),
  ],
  controllers: [DevicesController],
  providers: [
    PhotoStatusTracker,
    PhotoStatusGateway,
    PhotoSubscriptionGateway,
    DevicePresenceForwarder,
  ],
  // The gateway's service and health indicator, for HealthModule.
  exports: [EventBusGatewayModule],
})
export class RealtimeModule {}
