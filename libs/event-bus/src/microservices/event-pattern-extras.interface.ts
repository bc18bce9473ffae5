import type { OnEventOptions } from '../interfaces/on-event-options.interface.js';
import type { EventBusService } from '../event-bus.service.js';

/**
 * Extras of `@EventPattern(pattern, extras)` that `EventBusServer` reads: the
 * options of `@OnEvent` (retry, timeout, filter, concurrency, durable, group…).
 *
 * @example
 * @EventPattern('photo.uploaded', { durable: true, group: 'thumbnails', retry: { maxRetries: 5 } } satisfies EventPatternExtras)
 *
 * @publicApi
 */
export type EventPatternExtras = OnEventOptions;

/**
 * What `EventBusServer` and `EventBusClientProxy` take: the app's bus, or an
 * object holding it (the shape `ClientsModule`'s `customClass` + `options` passes).
 *
 * @publicApi
 */
export type EventBusTransportOptions =
  EventBusService | { bus: EventBusService };
