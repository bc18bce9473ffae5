import { Injectable } from '@nestjs/common';
// NOTE: types only. @nestjs/terminus is an optional peer: it is imported on the
// first check, so that apps with the gateway but without Terminus need not install it.
import type * as Terminus from '@nestjs/terminus';
import type {
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { loadOptionalPackage } from '../optional-package.util.js';
import { EventBusGatewayService } from './event-bus-gateway.service.js';

/**
 * Terminus health indicator of the socket.io gateway, for readiness probes:
 * up while this instance serves sockets (started, not shutting down, its Redis
 * connections ready), down otherwise with a `message` saying why. Details, of
 * this instance: `sockets`, `connectedClients` (distinct devices), `activeRooms`
 * (rooms with a socket here, not counting each socket's own-id room) and
 * `uptime` (seconds since the gateway started): seed 003's websocket health.
 * It never throws. Provided and
 * exported by `EventBusGatewayModule`.
 *
 * @example
 * @Get('ready')
 * @HealthCheck()
 * ready() {
 *   return this.health.check([() => this.eventBus.isHealthy('eventBus'), () => this.gateway.isHealthy()]);
 * }
 *
 * @publicApi
 */
@Injectable()
export class EventBusGatewayHealthIndicator {
  private indicators?: Promise<HealthIndicatorService>;

  constructor(private readonly gateway: EventBusGatewayService) {}

  /**
   * The gateway's state from `EventBusGatewayService.health()`.
   *
   * @param key the name of this check in the health report
   * @default key 'gateway'
   * @throws InvalidConfigurationError naming the install command when `@nestjs/terminus` is not installed
   */
  async isHealthy<const Key extends string = 'gateway'>(
    key: Key = 'gateway' as Key,
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = (await this.load()).check(key);
    try {
      const { healthy, reason, ...details } = this.gateway.health();
      return healthy
        ? indicator.up(details)
        : indicator.down({
            message: reason ?? 'the gateway is not serving',
            ...details,
          });
    } catch (error) {
      return indicator.down((error as Error).message);
    }
  }

  private load(): Promise<HealthIndicatorService> {
    this.indicators ??= loadOptionalPackage<typeof Terminus>(
      '@nestjs/terminus',
      '^12',
      'EventBusGatewayHealthIndicator',
      () => import('@nestjs/terminus'),
    ).then(terminus => new terminus.HealthIndicatorService());
    return this.indicators;
  }
}
