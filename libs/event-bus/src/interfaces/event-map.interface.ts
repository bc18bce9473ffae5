import type { EventEnvelope } from './event-envelope.interface.js';
import type { PresenceEvents } from '../events/presence.events.js';
import type {
  EventData,
  EventMap,
} from '@shared-infra/event-bus-client/protocol';

// NOTE: EventMap is declared once, in the wire protocol the client SDK shares, so an app's
// augmentation types the bus and the client alike; the bus adds its presence events to it.
declare module '@shared-infra/event-bus-client/protocol' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges the presence events into the shared map
  interface EventMap extends PresenceEvents {}
}

/**
 * Event types and their data (declared in `@shared-infra/event-bus-client/protocol`
 * and re-exported here). Augment it to type-check your own events:
 *
 * @example
 * declare module '@shared-infra/event-bus' {
 *   interface EventMap {
 *     'order.created': { orderId: string; total: number };
 *   }
 * }
 *
 * @publicApi
 */
export type { EventMap };

/**
 * Data type of an event type: the `EventMap` entry when there is one, otherwise
 * `unknown` (so unlisted types and wildcard patterns still work).
 *
 * @publicApi
 */
export type { EventData };

/**
 * The envelope a handler of `K` receives.
 *
 * @example
 * @OnEvent('photo.uploaded')
 * onUploaded(event: EventOf<'photo.uploaded'>) { event.data.photoId; }
 *
 * @publicApi
 */
export type EventOf<K extends string> = EventEnvelope<
  K extends keyof EventMap ? K : string,
  EventData<K>
>;
