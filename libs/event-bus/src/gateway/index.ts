export { EventBusGatewayModule } from './event-bus-gateway.module.js';
export { EVENT_BUS_GATEWAY_OPTIONS } from './event-bus-gateway.module-definition.js';
export { EventBusGatewayService } from './event-bus-gateway.service.js';
export { EventBusGatewayHealthIndicator } from './event-bus-gateway.health.js';
export { EventBusGateway } from './event-bus.gateway.js';
export { toClientEvent } from './room-delivery.js';
export { GatewayAckFilter } from './gateway-ack.filter.js';
export { EventBusIoAdapter } from './event-bus-io.adapter.js';
export { GatewayAckError } from './gateway-ack.error.js';
export { SocketAuthError } from './socket-auth.error.js';
export { GatewayAdapterMissingError } from './gateway-adapter-missing.error.js';
export { PersistentRoomLimitError } from './persistent-room-limit.error.js';
export { DefaultRoomAuthorizer, defaultRooms } from './room-authorizer.js';
export { clientRoom, sessionRoom, userRoom } from '../rooms/room-names.js';
export {
  extractToken,
  identityFromClaims,
  JwtSocketAuthenticator,
} from './jwt-socket.authenticator.js';
export {
  SubscribeRequest,
  UnsubscribeRequest,
} from './dto/room-request.dto.js';
export { HistoryRequest, PresenceRequest } from './dto/room-query.dto.js';
export { CLIENT_MESSAGES, SERVER_EVENTS } from './gateway.constants.js';
export { GATEWAY_ACK_CODES } from '@shared-infra/event-bus-client/protocol';
export type * from './interfaces.js';
export { TYPING_GRACE_MS, TypingRelay } from './typing-relay.js';
export type { TypingRelayOptions, TypingState } from './typing-relay.js';
