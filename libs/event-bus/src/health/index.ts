export { EventBusHealthIndicator } from './event-bus.health.js';
export { EventBusHealthModule } from './event-bus-health.module.js';
