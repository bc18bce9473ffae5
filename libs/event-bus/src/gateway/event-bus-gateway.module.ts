import { Module, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { EventBusGateway } from './event-bus.gateway.js';
import { EventBusGatewayHealthIndicator } from './event-bus-gateway.health.js';
import { EventBusGatewayService } from './event-bus-gateway.service.js';
import {
  EVENT_BUS_GATEWAY_OPTIONS,
  GatewayConfigurableModuleClass,
} from './event-bus-gateway.module-definition.js';
import {
  GATEWAY_CONFIG,
  resolveGatewayConfig,
  type ResolvedGatewayConfig,
} from './gateway.config.js';
import { GatewayEngine } from './gateway-engine.js';
import { ROOM_AUTHORIZER, SOCKET_AUTHENTICATOR } from './gateway.constants.js';
import type { RoomAuthorizer, SocketAuthenticator } from './interfaces.js';
import { JwtSocketAuthenticator } from './jwt-socket.authenticator.js';
import { DefaultRoomAuthorizer } from './room-authorizer.js';

async function instantiate<T extends object>(
  moduleRef: ModuleRef,
  value: Type<T> | T,
): Promise<T> {
  return typeof value === 'function'
    ? moduleRef.create(value as Type<T>)
    : value;
}

/**
 * The socket.io gateway of the bus: authenticated sockets in rooms, fed by
 * `publishToRoom`, `publishToUser` and `broadcast`, across instances when the
 * bus runs on Redis. Needs `EventBusModule` (global by default) and the
 * packages `@nestjs/websockets`, `@nestjs/platform-socket.io`,
 * `@socket.io/redis-adapter` and (for JWT) `@nestjs/jwt`. Its Terminus
 * indicator, `EventBusGatewayHealthIndicator`, imports `@nestjs/terminus` on
 * its first check only, so apps without Terminus need not install it.
 * The app installs the gateway's WebSocket adapter in `main.ts`; without it the
 * start fails with `GatewayAdapterMissingError`.
 *
 * @example
 * EventBusGatewayModule.forRoot({
 *   jwt: { secret: process.env.JWT_SECRET },
 *   authorizeRoom: (identity, room) => room.startsWith('photo:'),
 *   corsOrigins: ['https://app.example.com'],
 * })
 * // main.ts
 * app.useWebSocketAdapter(new EventBusIoAdapter(app));
 *
 * @publicApi
 */
@Module({
  providers: [
    {
      provide: GATEWAY_CONFIG,
      useFactory: resolveGatewayConfig,
      inject: [EVENT_BUS_GATEWAY_OPTIONS],
    },
    {
      provide: SOCKET_AUTHENTICATOR,
      useFactory: (
        config: ResolvedGatewayConfig,
        moduleRef: ModuleRef,
      ): Promise<SocketAuthenticator> => {
        const { authenticator, jwt } = config.options;
        return authenticator
          ? instantiate(moduleRef, authenticator)
          : JwtSocketAuthenticator.create(jwt!);
      },
      inject: [GATEWAY_CONFIG, ModuleRef],
    },
    {
      provide: ROOM_AUTHORIZER,
      useFactory: (
        config: ResolvedGatewayConfig,
        moduleRef: ModuleRef,
      ): Promise<RoomAuthorizer> => {
        const { roomAuthorizer, authorizeRoom } = config.options;
        return roomAuthorizer
          ? instantiate(moduleRef, roomAuthorizer)
          : Promise.resolve(new DefaultRoomAuthorizer(authorizeRoom));
      },
      inject: [GATEWAY_CONFIG, ModuleRef],
    },
    GatewayEngine,
    EventBusGateway,
    EventBusGatewayService,
    EventBusGatewayHealthIndicator,
  ],
  exports: [
    EventBusGatewayService,
    EventBusGateway,
    EventBusGatewayHealthIndicator,
  ],
})
export class EventBusGatewayModule extends GatewayConfigurableModuleClass {}
