export * from './dead-letter-not-replayable.error.js';
export * from './event-bus.error.js';
export * from './event-bus-unavailable.error.js';
export * from './event-validation.error.js';
export * from './handler-timeout.error.js';
export * from './invalid-configuration.error.js';
export * from './request-response-not-supported.error.js';
