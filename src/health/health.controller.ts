import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { EventBusHealthIndicator } from '@shared-infra/event-bus';
import { EventBusGatewayHealthIndicator } from '@shared-infra/event-bus/gateway';

/**
 * Probes for an orchestrator: `live` says the process runs (restart it when not),
 * `ready` says it can do its work (route traffic to it only then). Either answers
 * 503 with the failing check and its reason.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly eventBus: EventBusHealthIndicator,
    private readonly gateway: EventBusGatewayHealthIndicator,
  ) {}

  /** The process only: a Redis outage must not get a healthy process restarted. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([
      () =>
        this.indicators.check('process').up({
          pid: process.pid,
          uptime: Math.round(process.uptime()),
        }),
    ]);
  }

  /** Every bus connection answers PING, durable groups are within their thresholds, the gateway serves. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.eventBus.isHealthy('eventBus'),
      () => this.eventBus.isDurableHealthy('durable'),
      () => this.gateway.isHealthy('gateway'),
    ]);
  }
}
