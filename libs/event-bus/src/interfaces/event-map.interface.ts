import type { EventEnvelope } from './event-envelope.interface.js';
import type { PresenceEvents } from '../events/presence.events.js';

/**
 * Event types and their data. Augment it to type-check your own events:
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
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- apps add their types by declaration merging
export interface EventMap extends PresenceEvents {}

/**
 * Data type of an event type: the `EventMap` entry when there is one, otherwise
 * `unknown` (so unlisted types and wildcard patterns still work).
 *
 * @publicApi
 */
export type EventData<K extends string> = K extends keyof EventMap
  ? EventMap[K]
  : unknown;

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
