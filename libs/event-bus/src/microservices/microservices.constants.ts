/**
 * Transport id of `EventBusServer`. Handlers without a transport argument run on
 * every server; `@EventPattern(pattern, EVENT_BUS_TRANSPORT_ID)` pins one to the
 * bus, and `@MessagePattern(pattern, Transport.TCP)` keeps one off it.
 *
 * @publicApi
 */
export const EVENT_BUS_TRANSPORT_ID: unique symbol = Symbol.for(
  '@shared-infra/event-bus:transport',
);
