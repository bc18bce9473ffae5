/**
 * Metadata carried by every event. The bus fills `source`, `timestamp`, `traceId`
 * and `correlationId`; the rest is set by `publishToRoom`, `publishToUser` or the
 * publish options.
 *
 * @publicApi
 */
export interface EventMetadata {
  /** Service that published the event (the module's `serviceName`). */
  source: string;
  /** ISO-8601 time of publishing. */
  timestamp: string;
  /**
   * Trace shared by every event caused, directly or not, by one origin. While an
   * OpenTelemetry tracer provider is registered: the OpenTelemetry trace id.
   */
  traceId: string;
  /** Groups events of one business transaction; defaults to the trace id. */
  correlationId: string;
  /** Id of the event whose handler published this one. */
  causationId?: string;
  /** Target socket.io room, set by `publishToRoom`. */
  room?: string;
  /**
   * Target user, set by `publishToUser`. On an event a socket published
   * through the gateway (`clientId` set), the user who sent it instead.
   */
  userId?: string;
  /** The device that published the event through the gateway (`source: 'gateway'`). */
  clientId?: string;
  /** Its session, when the token named one. */
  sessionId?: string;
  /** Set by `broadcast`: meant for every connected client. */
  broadcast?: boolean;
  /** Publisher-supplied key for durable handlers' idempotency window (defaults to `id`). */
  idempotencyKey?: string;
  /** The publishing bus instance: 16 hex digits, new at every start. Set by the bus. */
  publisherId?: string;
  /**
   * 1, 2, 3… per publisher instance and event type. A fan-out subscriber counts a jump as missed
   * events (`eventsMissed`). Set by the bus.
   */
  seq?: number;
  /**
   * W3C Trace Context of the span that published the event (`00-<trace id>-<span id>-<flags>`).
   * Written while an OpenTelemetry tracer provider is registered; a malformed one is ignored.
   */
  traceparent?: string;
  /** W3C `tracestate` of that span, when it has one. */
  tracestate?: string;
}

/**
 * The envelope on the wire: what handlers receive and what Redis carries as JSON.
 *
 * @publicApi
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  /** Unique, time-sortable id (ULID, 26 characters). */
  id: string;
  type: TType;
  data: TData;
  metadata: EventMetadata;
  /** Envelope format version; receivers drop versions they do not know. */
  version: number;
}
