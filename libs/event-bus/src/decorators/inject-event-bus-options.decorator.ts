import { Inject } from '@nestjs/common';
import { MODULE_OPTIONS_TOKEN } from '../event-bus.module-definition.js';

/**
 * Injects the options given to `EventBusModule.forRoot()` / `forRootAsync()`.
 *
 * @publicApi
 */
export const InjectEventBusOptions = (): ParameterDecorator &
  PropertyDecorator => Inject(MODULE_OPTIONS_TOKEN);
