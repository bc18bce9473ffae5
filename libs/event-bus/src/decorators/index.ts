export * from './event-params.decorator.js';
export * from './inject-event-bus-options.decorator.js';
export * from './on-event.decorator.js';
