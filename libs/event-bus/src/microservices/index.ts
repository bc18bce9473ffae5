export {
  EventBusClientProxy,
  type EventBusClientStatus,
} from './event-bus.client-proxy.js';
export {
  EventBusContext,
  type EventBusContextArgs,
} from './event-bus.context.js';
export {
  EventBusServer,
  type EventBusServerStatus,
} from './event-bus.server.js';
export type {
  EventBusTransportOptions,
  EventPatternExtras,
} from './event-pattern-extras.interface.js';
export { EVENT_BUS_TRANSPORT_ID } from './microservices.constants.js';
