import type { HandlerOutcome } from '../delivery/handler-invoker.js';
import type { HandlerRecord } from '../delivery/handler-record.js';
import type {
  EventEnvelope,
  EventMetadata,
} from '../interfaces/event-envelope.interface.js';
import type { PublishResult } from '../interfaces/publish.interface.js';
import { targetRoom } from '../rooms/room-names.js';
import type {
  OtelApi,
  OtelAttributes,
  OtelSpan,
  OtelSpanContext,
  OtelTracer,
} from './otel-api.js';
import {
  formatTraceparent,
  isCarriableTracestate,
  parseTraceparent,
} from './traceparent.js';

/** `messaging.system` of the bus' spans: its transport. */
export type MessagingSystem = 'redis' | 'memory';

/** How a durable consumer got the entry it hands to a handler. */
export interface DurableDelivery {
  /** `messaging.consumer.group.name`. */
  group: string;
  /** 1 for the first delivery; more when the entry was taken over (XAUTOCLAIM) from a consumer that stopped. */
  deliveries: number;
}

/**
 * The PRODUCER span of one publish, as the publisher sees it: the trace the
 * envelope joins (`metadata.traceId`, `traceparent`, `tracestate`).
 */
export class PublishSpan {
  /** The OpenTelemetry trace id: the event's `metadata.traceId`. */
  readonly traceId: string;
  private readonly traceparent: string;
  private readonly tracestate?: string;

  constructor(private readonly span: OtelSpan) {
    const context = span.spanContext();
    this.traceId = context.traceId;
    this.traceparent = formatTraceparent(
      context.traceId,
      context.spanId,
      context.traceFlags,
    );
    const state = context.traceState?.serialize();
    if (isCarriableTracestate(state)) this.tracestate = state;
  }

  /** Writes the span's context into the event's metadata (and the room into the span). */
  stamp(metadata: EventMetadata): void {
    metadata.traceparent = this.traceparent;
    if (this.tracestate !== undefined) metadata.tracestate = this.tracestate;
    const room = targetRoom(metadata);
    if (room !== undefined) this.span.setAttribute('event_bus.room', room);
  }
}

/** The span context an event was published in, from its `traceparent`; undefined when it has none or a malformed one. */
function publishedIn(
  api: OtelApi,
  metadata: EventMetadata,
): OtelSpanContext | undefined {
  const parent = parseTraceparent(metadata.traceparent);
  if (parent === undefined) return undefined;
  const context: OtelSpanContext = { ...parent, isRemote: true };
  if (api.createTraceState && isCarriableTracestate(metadata.tracestate)) {
    try {
      context.traceState = api.createTraceState(metadata.tracestate);
    } catch {
      // A foreign publisher's unreadable tracestate: the trace goes on without it.
    }
  }
  return context;
}

function exceptionOf(error: unknown): string | Error {
  return error instanceof Error ? error : String(error);
}

/**
 * The bus' OpenTelemetry spans, made only while a tracer provider is registered
 * (see `activeTracer`). Follows the messaging semantic conventions: a PRODUCER
 * span `publish <type>` around each publish, whose context the envelope carries
 * as W3C `traceparent`/`tracestate`; a CONSUMER span per handler delivery,
 * named after the handler (`Class.method`), child of that context. Retries are
 * events of the delivery's span; a durable entry taken over from a stopped
 * consumer starts a trace of its own, linked to the publish.
 */
export class BusTracer {
  /** The delivery spans this tracer started, so that a retry finds its own span in the active context. */
  private readonly deliveries = new WeakSet<OtelSpan>();

  constructor(
    private readonly api: OtelApi,
    private readonly tracer: OtelTracer,
  ) {}

  /**
   * Runs `send` inside a PRODUCER span for `type`, a child of the active context
   * (an HTTP request's span, a handler's delivery span…). The span ends when the
   * publish is sent or refused.
   */
  publish(
    type: string,
    system: MessagingSystem,
    send: (span: PublishSpan) => Promise<PublishResult>,
  ): Promise<PublishResult> {
    const api = this.api;
    const active = api.context.active();
    const span = this.tracer.startSpan(
      `publish ${type}`,
      {
        kind: api.SpanKind.PRODUCER,
        attributes: {
          'messaging.system': system,
          'messaging.destination.name': type,
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'publish',
        },
      },
      active,
    );
    let sent: Promise<PublishResult>;
    try {
      sent = api.context.with(
        api.trace.setSpan(active, span),
        send,
        undefined,
        new PublishSpan(span),
      );
    } catch (error) {
      sent = Promise.reject(error);
    }
    return sent.then(
      result => {
        span.setAttribute('messaging.message.id', result.eventId);
        span.end();
        return result;
      },
      (error: unknown) => {
        this.fail(span, error);
        span.end();
        throw error;
      },
    );
  }

  /**
   * Runs one delivery of `event` to `record` (every attempt of it) inside a
   * CONSUMER span named after the handler. `run` gets the `settle` to call
   * instead of the caller's: it ends the span with the outcome first.
   */
  deliver(
    record: HandlerRecord,
    event: EventEnvelope,
    system: MessagingSystem,
    durable: DurableDelivery | undefined,
    settle: (outcome: HandlerOutcome) => void,
    run: (settle: (outcome: HandlerOutcome) => void) => void,
  ): void {
    const api = this.api;
    const metadata = event.metadata;
    const attributes: OtelAttributes = {
      'messaging.system': system,
      'messaging.destination.name': event.type,
      'messaging.destination.subscription.name': record.pattern,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.message.id': event.id,
    };
    if (typeof metadata.correlationId === 'string')
      attributes['messaging.message.conversation_id'] = metadata.correlationId;
    const room = targetRoom(metadata);
    if (typeof room === 'string') attributes['event_bus.room'] = room;
    if (durable !== undefined) {
      attributes['messaging.consumer.group.name'] = durable.group;
      attributes['event_bus.deliveries'] = durable.deliveries;
    }
    const origin = publishedIn(api, metadata);
    // The bus' own trace id, when it is not the OpenTelemetry one (a publisher without OpenTelemetry).
    if (
      origin?.traceId !== metadata.traceId &&
      typeof metadata.traceId === 'string'
    )
      attributes['event_bus.trace_id'] = metadata.traceId;
    // A redelivery happens later, elsewhere, after a consumer died: a trace of its own, linked
    // to the publish, rather than one more child that would stretch the original trace.
    const redelivered = durable !== undefined && durable.deliveries > 1;
    const parent =
      origin !== undefined && !redelivered
        ? api.trace.setSpanContext(api.ROOT_CONTEXT, origin)
        : api.ROOT_CONTEXT;
    const span = this.tracer.startSpan(
      record.name,
      {
        kind: api.SpanKind.CONSUMER,
        attributes,
        ...(origin !== undefined && redelivered
          ? {
              links: [
                {
                  context: origin,
                  attributes: { 'event_bus.link': 'redelivery' },
                },
              ],
            }
          : {}),
      },
      parent,
    );
    this.deliveries.add(span);
    const finish = (outcome: HandlerOutcome): void => {
      span.setAttribute('event_bus.outcome', outcome.status);
      span.setAttribute('event_bus.attempts', outcome.attempts);
      if (outcome.status === 'failed') this.fail(span, outcome.error);
      span.end();
      settle(outcome);
    };
    api.context.with(api.trace.setSpan(parent, span), run, undefined, finish);
  }

  /** A handler attempt failed and will be retried after `delayMs`: an event on the delivery's span. */
  retrying(error: unknown, attempt: number, delayMs: number): void {
    const span = this.api.trace.getSpan(this.api.context.active());
    if (span === undefined || !this.deliveries.has(span)) return;
    span.recordException(exceptionOf(error));
    span.addEvent('event_bus.retry', {
      'event_bus.attempt': attempt,
      'event_bus.retry_delay_ms': delayMs,
    });
  }

  private fail(span: OtelSpan, error: unknown): void {
    span.recordException(exceptionOf(error));
    span.setStatus({
      code: this.api.SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
    span.setAttribute(
      'error.type',
      error instanceof Error ? error.constructor.name : typeof error,
    );
  }
}
