/**
 * Our gateway server as a bench child: a Nest app with the given bus module and
 * EventBusGatewayModule (JWT handshake auth, `subscribe` with ack, presence,
 * rate limits: the defaults an app gets), listening on a free loopback port.
 * Used by the gateway bench (bus on Redis) and the cluster bench (bus on the
 * cluster, and so the sharded adapter with BENCH_SHARDED=true).
 */
import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  EventBusGatewayModule,
  EventBusGatewayService,
  EventBusIoAdapter,
} from '@shared-infra/event-bus/gateway';
import type { AddressInfo } from 'node:net';
import { canJoin, JWT_SECRET } from './common.js';
import { runServer } from './server-common.js';

export function runOurGatewayServer(busModule: DynamicModule): void {
  @Module({
    imports: [
      busModule,
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
}
