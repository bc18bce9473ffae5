export { connect } from './event-bus-client.js';
export {
  ClientAckError,
  ClientAuthError,
  type ClientAckCode,
} from './errors.js';
export type { ConnectionState } from './connection-state.js';
export type { ReadonlyObservableValue } from './observable-value.js';
export type {
  ConnectionIdentity,
  EventBusClient,
  EventBusClientOptions,
  ReconnectionOptions,
  RoomSignal,
  RoomSubscription,
} from './interfaces.js';
export type { ClientEvent, GatewayAck } from '@shared-infra/event-bus/gateway';
export type { EventData, EventMap } from '@shared-infra/event-bus';
