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
  RoomSubscription,
} from './interfaces.js';
export {
  CLIENT_MESSAGES,
  GATEWAY_ACK_CODES,
  SERVER_EVENTS,
  type ClientEvent,
  type ConnectionEstablished,
  type EventData,
  type EventMap,
  type GatewayAck,
  type GatewayAckCode,
  type HistoryPayload,
  type PresencePayload,
  type PublishPayload,
  type RoomPresenceCounts,
  type RoomPresenceEvent,
  type RoomSignal,
  type ShutdownNotice,
  type SignalPayload,
  type SubscribePayload,
  type UnsubscribePayload,
} from './protocol.js';
