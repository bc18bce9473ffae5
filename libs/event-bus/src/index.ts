// The main entry: what the README documents, and nothing else. The gateway and the
// @nestjs/microservices interop are their own entries (./gateway, ./microservices).
export { Envelope, EventPayload } from './decorators/event-params.decorator.js';
export { InjectEventBusOptions } from './decorators/inject-event-bus-options.decorator.js';
export { OnEvent } from './decorators/on-event.decorator.js';
export * from './errors/index.js';
export * from './events/index.js';
export * from './health/index.js';
export type * from './interfaces/event-bus-options.interface.js';
export type * from './interfaces/event-envelope.interface.js';
export type * from './interfaces/event-filter.interface.js';
export type * from './interfaces/event-map.interface.js';
export type * from './interfaces/event-schema.interface.js';
export type * from './interfaces/standard-schema.interface.js';
export type * from './interfaces/on-event-options.interface.js';
export type * from './interfaces/publish.interface.js';
export type * from './interfaces/retry-options.interface.js';
export type * from './interfaces/scheduling.interface.js';
export type * from './interfaces/stats.interface.js';
export type { TransportStatus } from './interfaces/transport.interface.js';
export type { DeadLetter, GroupLag } from './durable/stream-store.interface.js';
export { EventBusModule } from './event-bus.module.js';
export { EventBusService } from './event-bus.service.js';
export { DeadLetterService } from './durable/dead-letter.service.js';
export { EventValidator } from './validation/event-validator.service.js';
export { defineEvents } from './validation/event-schema.util.js';
export { EVENT_BUS_CONTEXT_TYPE } from './event-bus.constants.js';
export { IDENTITY_ID_PATTERN } from './rooms/room-names.js';
