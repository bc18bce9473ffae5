import { EventBusError } from './event-bus.error.js';

/**
 * A publish was refused because the event is invalid: bad type, oversize or too deeply
 * nested data, oversize envelope, bad metadata, or a payload that fails its registered schema (DTO or Standard Schema).
 *
 * @publicApi
 */
export class EventValidationError extends EventBusError {
  constructor(
    message: string,
    /** The offending field, e.g. `type`, `data`, `data.size`, `metadata.timestamp`. */
    public readonly field: string,
    /** The limit that was exceeded, when the failure is about size (bytes) or nesting (levels, limits.maxDepth). */
    public readonly limit?: number,
    /** What `limit` counts: `bytes` (limits.maxEventBytes, maxDataBytes), `levels` (limits.maxDepth) or `characters`. */
    public readonly limitUnit?: 'bytes' | 'levels' | 'characters',
  ) {
    super(message, 'EVENT_VALIDATION');
  }
}
