/**
 * Gateway child of the cluster bench: the gateway bench's server (JWT
 * handshake, `subscribe` to its one room) with the bus on the cluster, and so
 * the sharded socket.io adapter when BENCH_SHARDED=true.
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
import { canJoin, JWT_SECRET } from '../gateway/common.js';
import { runServer } from '../gateway/server-common.js';
import { clusterBusModule } from './common.js';

@Module({
  imports: [
    clusterBusModule('bench-cluster-gateway'),
    EventBusGatewayModule.forRoot({
      jwt: { secret: JWT_SECRET },
      authorizeRoom: (_identity, room) => canJoin(room),
    }),
  ],
})
class GatewayModule {}

runServer(async () => {
  const app = await NestFactory.create(GatewayModule, {
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
