import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EventBusMetrics } from './delivery/event-bus-metrics.js';
import { HandlerInvoker } from './delivery/handler-invoker.js';
import { DurableManager } from './durable/durable.manager.js';
import { EventHandlersExplorer } from './discovery/event-handlers.explorer.js';
import { EventMetadataAccessor } from './discovery/event-metadata.accessor.js';
import { EVENT_BUS_CONFIG, resolveConfig } from './event-bus.config.js';
import { EVENT_BUS_TRANSPORT } from './event-bus.constants.js';
import {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN,
} from './event-bus.module-definition.js';
import { EventBusService } from './event-bus.service.js';
import { EventPublisher } from './publishing/event-publisher.js';
import { EventRouter } from './routing/event-router.js';
import { DeadLetterService } from './durable/dead-letter.service.js';
import type { EventBusModuleOptions } from './interfaces/event-bus-options.interface.js';
import { PrometheusExporter } from './metrics/prometheus.exporter.js';
import { createTransport } from './transports/create-transport.js';
import { loadOpenTelemetry, OPEN_TELEMETRY } from './tracing/open-telemetry.js';
import { EventValidator } from './validation/event-validator.service.js';
import { Scheduler } from './scheduling/scheduler.js';

/**
 * The event bus. Import it once, in the root module.
 *
 * @example
 * EventBusModule.forRoot({
 *   serviceName: 'photo-service',
 *   transport: process.env.REDIS_URL ? 'redis' : 'memory',
 *   redis: { url: process.env.REDIS_URL },
 * })
 *
 * @publicApi
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: EVENT_BUS_CONFIG,
      useFactory: (options: EventBusModuleOptions) => resolveConfig(options),
      inject: [MODULE_OPTIONS_TOKEN],
    },
    {
      provide: EVENT_BUS_TRANSPORT,
      useFactory: createTransport,
      inject: [EVENT_BUS_CONFIG],
    },
    // Imports @opentelemetry/api when it is installed (an optional peer), before any event flows.
    { provide: OPEN_TELEMETRY, useFactory: loadOpenTelemetry },
    EventBusMetrics,
    EventValidator,
    HandlerInvoker,
    DurableManager,
    Scheduler,
    EventPublisher,
    EventRouter,
    EventBusService,
    DeadLetterService,
    EventMetadataAccessor,
    EventHandlersExplorer,
    {
      // null unless metrics.enabled; prom-client is only imported then.
      provide: PrometheusExporter,
      useFactory: PrometheusExporter.create,
      inject: [
        EVENT_BUS_CONFIG,
        EventBusMetrics,
        EVENT_BUS_TRANSPORT,
        EventBusService,
        DeadLetterService,
      ],
    },
  ],
  exports: [
    EventBusService,
    DeadLetterService,
    EventPublisher,
    EventRouter,
    EventValidator,
    // NOTE: the options token is for @InjectEventBusOptions(); the resolved config and the transport stay inside.
    MODULE_OPTIONS_TOKEN,
  ],
})
export class EventBusModule extends ConfigurableModuleClass {}
