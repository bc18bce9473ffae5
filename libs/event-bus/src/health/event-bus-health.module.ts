import { Module, type DynamicModule } from '@nestjs/common';
import type * as Terminus from '@nestjs/terminus';
import { EVENT_BUS_HEALTH_OPTIONS } from '../event-bus.constants.js';
import { DeadLetterService } from '../durable/dead-letter.service.js';
import { EventBusService } from '../event-bus.service.js';
import type { EventBusHealthOptions } from '../interfaces/event-bus-health-options.interface.js';
import { loadOptionalPackage } from '../optional-package.util.js';
import { resolveHealthOptions } from './event-bus-health.config.js';
import { EventBusHealthIndicator } from './event-bus.health.js';

/**
 * Provides `EventBusHealthIndicator` for `@nestjs/terminus` health checks.
 * Needs `EventBusModule` (global by default) and `@nestjs/terminus` 12.
 *
 * `forRoot` resolves asynchronously (Nest accepts the promise in `imports`):
 * it imports `@nestjs/terminus` only here, so that apps that do not import this
 * module need not install it. That is also why it is not built with
 * `ConfigurableModuleBuilder`, whose `forRoot` is synchronous.
 *
 * @example
 * @Module({
 *   imports: [TerminusModule, EventBusHealthModule.forRoot({ timeout: 1000, durable: { maxPending: 1000 } })],
 *   controllers: [HealthController],
 * })
 * export class HealthModule {}
 *
 * @publicApi
 */
@Module({})
export class EventBusHealthModule {
  /**
   * @param options timeout of the checks and default durable thresholds
   * @throws InvalidConfigurationError when an option is invalid or `@nestjs/terminus` is not installed
   */
  static async forRoot(
    options: EventBusHealthOptions = {},
  ): Promise<DynamicModule> {
    const resolved = resolveHealthOptions(options);
    const terminus = await loadOptionalPackage<typeof Terminus>(
      '@nestjs/terminus',
      '^12',
      'EventBusHealthModule',
      () => import('@nestjs/terminus'),
    );
    return {
      module: EventBusHealthModule,
      imports: [terminus.TerminusModule],
      providers: [
        { provide: EVENT_BUS_HEALTH_OPTIONS, useValue: resolved },
        {
          provide: EventBusHealthIndicator,
          useFactory: (
            indicators: Terminus.HealthIndicatorService,
            bus: EventBusService,
            deadLetters: DeadLetterService,
          ) =>
            new EventBusHealthIndicator(indicators, bus, deadLetters, resolved),
          inject: [
            terminus.HealthIndicatorService,
            EventBusService,
            DeadLetterService,
          ],
        },
      ],
      exports: [EventBusHealthIndicator],
    };
  }
}
