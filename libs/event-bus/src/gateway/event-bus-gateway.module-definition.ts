import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EventBusGatewayOptions } from './interfaces.js';

export const {
  ConfigurableModuleClass: GatewayConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: EVENT_BUS_GATEWAY_OPTIONS,
} = new ConfigurableModuleBuilder<EventBusGatewayOptions>({
  moduleName: 'EventBusGateway',
})
  .setClassMethodName('forRoot')
  .build();
