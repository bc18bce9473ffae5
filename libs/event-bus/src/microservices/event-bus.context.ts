import { BaseRpcContext } from '@nestjs/microservices';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';

/** Arguments of an `EventBusContext`: the envelope and the pattern that matched it. */
export type EventBusContextArgs = [envelope: EventEnvelope, pattern: string];

/**
 * The RPC context of an `@EventPattern` handler served by `EventBusServer`: the
 * payload argument is the envelope's `data`; the whole envelope (id, type,
 * metadata with trace ids) is here.
 *
 * @example
 * @EventPattern('photo.*')
 * onPhoto(@Payload() data: PhotoData, @Ctx() context: EventBusContext) {
 *   const { id, type, metadata } = context.getEnvelope();
 * }
 *
 * @publicApi
 */
export class EventBusContext extends BaseRpcContext<EventBusContextArgs> {
  /** The received event: `id`, `type`, `data`, `metadata` (traceId, source…), `version`. */
  getEnvelope(): EventEnvelope {
    return this.args[0];
  }

  /** The `@EventPattern` pattern that matched, e.g. `photo.*`. */
  getPattern(): string {
    return this.args[1];
  }
}
