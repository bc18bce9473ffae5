import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { ADMIN_CONFIG } from './admin.constants.js';
import { resolveAdminConfig } from './admin.config.js';
import { createAdminController } from './admin.controller.js';
import { adminMessages } from './admin.messages.js';
import type { EventBusAdminOptions } from './admin-options.interface.js';
import { EventBusAdminService } from './event-bus-admin.service.js';
import { InstanceReporter } from './instance-reporter.js';

/**
 * An admin dashboard for the bus, served by the app at `path`: durable
 * streams with their length, consumer groups with lag and pending, consumers,
 * dead letters with their error and payload (replay, delete), fan-out rates per
 * event type, and each instance's sockets, users and rooms, refreshed live.
 * Every instance that imports it reports its figures (through Redis on the
 * Redis transport), so the page shows all of them whichever one serves it.
 * Needs `EventBusModule` (global by default). A guard is required.
 *
 * @example
 * EventBusAdminModule.forRoot({
 *   path: '/admin/event-bus',
 *   guard: AdminGuard,      // the app's CanActivate, e.g. checking an admin role
 *   imports: [AuthModule],  // what AdminGuard injects
 * })
 *
 * @publicApi
 */
@Module({})
export class EventBusAdminModule {
  /**
   * @throws InvalidConfigurationError without a guard (unless `guard: 'none'`), or for a
   *   misspelled or invalid option, naming it
   */
  static forRoot(options: EventBusAdminOptions): DynamicModule {
    const config = resolveAdminConfig(options);
    if (config.guard.kind === 'none')
      new Logger('EventBus:admin').warn(adminMessages.unguarded(config.path));
    const guardProviders =
      config.guard.kind === 'class' ? [config.guard.guard] : [];
    return {
      module: EventBusAdminModule,
      imports: config.imports,
      controllers: [createAdminController(config)],
      providers: [
        { provide: ADMIN_CONFIG, useValue: config },
        ...guardProviders,
        InstanceReporter,
        EventBusAdminService,
      ],
      exports: [EventBusAdminService],
    };
  }
}
