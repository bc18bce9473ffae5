/**
 * Server child, our side: a Nest app with EventBusModule on Redis and
 * EventBusGatewayModule (JWT handshake auth, `subscribe` with ack, presence,
 * rate limits: the defaults an app gets; the WebSocket adapter is the one the
 * module installs when the app sets none), listening on a free loopback port.
 * env: REDIS_URL.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  EventBusGatewayModule,
  EventBusGatewayService,
  EventBusIoAdapter,
} from '@shared-infra/event-bus/gateway';
import type { AddressInfo } from 'node:net';
import { canJoin, JWT_SECRET } from './common.js';
import { runServer } from './server-common.js';
import { benchBusModule } from '../lib/bus-app.js';

@Module({
  imports: [
    benchBusModule('bench-gateway'),
    EventBusGatewayModule.forRoot({
      jwt: { secret: JWT_SECRET },
      authorizeRoom: (_identity, room) => canJoin(room),
    }),
  ],
})
class GatewayBenchModule {}

runServer(async () => {
  const app = await NestFactory.create(GatewayBenchModule, {
    logger: ['error', 'warn'],
  });
  app.useWebSocketAdapter(new EventBusIoAdapter(app));
  await app.listen(0, '127.0.0.1');
  const gateway = app.get(EventBusGatewayService);
  return {
    port: (app.getHttpServer().address() as AddressInfo).port,
    sockets: () => gateway.getStats().sockets,
    close: () => app.close(),
  };
});
