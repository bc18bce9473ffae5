import { Inject, Injectable } from '@nestjs/common';
import { EventBusMetrics } from '../delivery/event-bus-metrics.js';
import { DurableManager } from '../durable/durable.manager.js';
import { EventCodec } from '../envelope/event-codec.js';
import { createEventId, createTraceId } from '../envelope/event-id.util.js';
import { PublisherSequence } from '../envelope/publisher-sequence.js';
import { currentTrace } from '../envelope/trace-context.js';
import { EventBusError } from '../errors/event-bus.error.js';
import { EventBusUnavailableError } from '../errors/event-bus-unavailable.error.js';
import { EVENT_BUS_CONFIG, type EventBusConfig } from '../event-bus.config.js';
import {
  ENVELOPE_VERSION,
  EVENT_BUS_TRANSPORT,
} from '../event-bus.constants.js';
import { EventBusLogger } from '../event-bus.logger.js';
import { messages } from '../event-bus.messages.js';
import type {
  EventEnvelope,
  EventMetadata,
} from '../interfaces/event-envelope.interface.js';
import type {
  PublishOptions,
  PublishResult,
} from '../interfaces/publish.interface.js';
import type { EventTransport } from '../interfaces/transport.interface.js';
import {
  GATEWAY_ROUTE,
  isValidEventType,
} from '../matching/pattern-matcher.js';
import {
  historyPage,
  type RoomHistoryPage,
  type RoomHistoryQuery,
} from '../rooms/room-history-page.js';
import type {
  RoomHistoryLimits,
  RoomHistoryStore,
} from '../rooms/room-history.interface.js';
import { targetRoom } from '../rooms/room-names.js';
import type { PublishSpan } from '../tracing/bus-tracer.js';
import { activeTracer } from '../tracing/open-telemetry.js';
import { EventValidator } from '../validation/event-validator.service.js';
import { checkPublishOptionKeys } from '../validation/publish-options.util.js';
import { EventValidationError } from '../errors/event-validation.error.js';
import { dueTimeOf, isDelayed } from '../scheduling/due-time.js';
import { Scheduler } from '../scheduling/scheduler.js';
import { schedulingMessages } from '../scheduling/scheduling.messages.js';

export type Target = Pick<EventMetadata, 'room' | 'userId' | 'broadcast'>;
/** A room's missed events, decoded: what `replayRoom` answers. */
export interface RoomEvents {
  /** False when `lastEventId` is no longer kept (too old, trimmed, or never seen). */
  recovered: boolean;
  /** The sound events after it, oldest first; unreadable entries are left out and counted as malformed. */
  events: EventEnvelope[];
}
/** Who published an event through the gateway. */
export type Origin = Pick<EventMetadata, 'userId' | 'clientId' | 'sessionId'>;

/** `metadata.source` of events that sockets publish through the gateway. */
export const GATEWAY_SOURCE = 'gateway';

let isoMs = -1;
let isoText = '';

function hasMetadataOptions(options: PublishOptions): boolean {
  return (
    options.traceId !== undefined ||
    options.correlationId !== undefined ||
    options.causationId !== undefined ||
    options.idempotencyKey !== undefined
  );
}

/** `new Date().toISOString()`, made once per millisecond: a burst of publishes shares the string. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
}

/**
 * The publishing side of the bus: checks an event, numbers it (`publisherId`, `seq`), encodes it
 * once and sends every command it needs (room history, durable stream, fan-out) under one
 * admission to the outage buffer. Internal: `EventBusService` publishes through it for the app,
 * the gateway for its sockets (`publishFromClient`, which no app code can reach: this class is
 * not exported).
 */
@Injectable()
export class EventPublisher {
  /** The `EventBus` logger, shared with `EventBusService` (one rate limit per kind of line). */
  readonly logger: EventBusLogger;
  private readonly codec: EventCodec;
  private closed = false;
  private history?: RoomHistoryStore;
  /** Each room's history limits, or false for none (the gateway's `rooms` option); unset: the bus' `roomHistory`. */
  private historyPolicy?: (room: string) => RoomHistoryLimits | false;
  /** `{"source":"<serviceName>","timestamp":"` as JSON, for sendPlain. */
  private readonly metadataHead: string;
  /** Numbers this bus' events per type (`metadata.publisherId`, `metadata.seq`). */
  private readonly sequence = new PublisherSequence();

  constructor(
    /** The bus' resolved configuration; the gateway reads it here. */
    @Inject(EVENT_BUS_CONFIG) readonly config: EventBusConfig,
    /** The bus' transport; the gateway builds its presence store and socket.io adapter on it. */
    @Inject(EVENT_BUS_TRANSPORT) readonly transport: EventTransport,
    private readonly validator: EventValidator,
    private readonly metrics: EventBusMetrics,
    private readonly durable: DurableManager,
    private readonly scheduler: Scheduler,
  ) {
    this.logger = new EventBusLogger('EventBus', config.logLevel);
    this.codec = new EventCodec(config.limits);
    this.metadataHead = `{"source":${JSON.stringify(config.serviceName)},"timestamp":"`;
  }

  /** Refuses every publish from now on (the bus is shutting down). */
  close(): void {
    this.closed = true;
  }

  /**
   * Publishes an event a socket sent through the gateway: `source` is
   * `gateway` and `userId`, `clientId`, `sessionId` name the sender.
   * @internal
   */
  publishFromClient(
    type: string,
    data: unknown,
    origin: Origin,
  ): Promise<PublishResult> {
    return this.send(type, data, undefined, undefined, origin);
  }

  /** Checks, numbers, encodes and sends one event: the path of every publish. */
  send(
    type: string,
    data: unknown,
    options: PublishOptions | undefined,
    target: Target | undefined,
    origin?: Origin,
  ): Promise<PublishResult> {
    // NOTE: not async: the fast path hands back the transport's promise with one `then`.
    if (options !== undefined) {
      try {
        checkPublishOptionKeys(options);
      } catch (error) {
        return Promise.reject(error);
      }
      if (isDelayed(options))
        return this.sendDelayed(type, data, options, target);
    }
    const tracer = activeTracer();
    if (tracer !== undefined)
      return tracer.publish(type, this.config.transport, span =>
        this.sendFull(type, data, options, target, origin, span),
      );
    if (
      (options === undefined || !hasMetadataOptions(options)) &&
      target === undefined &&
      origin === undefined &&
      !this.closed &&
      isValidEventType(type) &&
      !this.validator.hasSchema(type) &&
      currentTrace() === undefined
    ) {
      try {
        return this.sendPlain(type, data);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.sendFull(type, data, options, target, origin);
  }

  /** `delay`/`at`: checked and encoded now, stored by the scheduler, published when due. */
  private async sendDelayed(
    type: string,
    data: unknown,
    options: PublishOptions,
    target: Target | undefined,
  ): Promise<PublishResult> {
    if (target !== undefined)
      throw new EventValidationError(
        schedulingMessages.delayedWithTarget(
          target.room !== undefined
            ? 'publishToRoom'
            : target.userId !== undefined
              ? 'publishToUser'
              : 'broadcast',
        ),
        'delay',
      );
    const due = dueTimeOf(options, Date.now());
    return this.sendFull(
      type,
      data,
      options,
      undefined,
      undefined,
      undefined,
      due,
    );
  }

  private async sendFull(
    type: string,
    data: unknown,
    options: PublishOptions = {},
    target: Target | undefined,
    origin?: Origin,
    span?: PublishSpan,
    /** Set for a delayed publish: its due time (ms), which is also its timestamp. */
    due?: number,
  ): Promise<PublishResult> {
    if (this.closed) throw new EventBusUnavailableError(messages.closed());
    this.validator.validateType(type);
    const trace = currentTrace();
    const traceId =
      options.traceId ?? span?.traceId ?? trace?.traceId ?? createTraceId();
    const causationId = options.causationId ?? trace?.eventId;
    const metadata: EventMetadata = {
      source: origin ? GATEWAY_SOURCE : this.config.serviceName,
      timestamp: due === undefined ? isoNow() : new Date(due).toISOString(),
      traceId,
      correlationId: options.correlationId ?? trace?.correlationId ?? traceId,
      ...(causationId ? { causationId } : {}),
      ...(options.idempotencyKey
        ? { idempotencyKey: options.idempotencyKey }
        : {}),
      ...target,
      ...origin,
    };
    span?.stamp(metadata);
    // The bus made source, timestamp and fresh ids itself: only what came from outside
    // (options, the handled event's trace, a target or a sender) needs checking.
    if (
      trace !== undefined ||
      target !== undefined ||
      origin !== undefined ||
      hasMetadataOptions(options)
    ) {
      this.validator.validateMetadataFields(metadata);
    }
    // A Standard Schema's output (defaults, coercions, transforms) is what gets published.
    if (this.validator.hasSchema(type))
      data = await this.validator.validateData(type, data);
    const envelope: EventEnvelope = {
      id: createEventId(),
      type,
      data,
      metadata,
      version: ENVELOPE_VERSION,
    };
    if (due !== undefined) {
      // NOTE: not numbered (publisherId, seq): it goes out later, among other events, from another instance maybe.
      const payload = this.codec.encode(envelope);
      try {
        await this.scheduler.addDelayed(type, payload, due);
      } catch (error) {
        if (error instanceof EventBusError) throw error;
        throw new EventBusUnavailableError(
          messages.publishFailed(type, (error as Error).message),
        );
      }
      return {
        success: true,
        eventId: envelope.id,
        type,
        traceId,
        timestamp: metadata.timestamp,
      };
    }
    // Numbered last, after every check that can refuse the event, and given back if the buffer refuses it.
    metadata.publisherId = this.sequence.id;
    const seq = (metadata.seq = this.sequence.take(type));
    if (
      this.transport.publishEnvelope !== undefined &&
      target === undefined &&
      !this.durable.wants(type)
    ) {
      try {
        envelope.data = this.codec.copyParts(
          envelope.id,
          type,
          data,
          JSON.stringify(metadata),
          ENVELOPE_VERSION,
        );
      } catch (error) {
        this.sequence.giveBack(type, seq);
        throw error;
      }
      this.metrics.recordPublished(type);
      return this.transport.publishEnvelope<PublishResult>(type, envelope, {
        success: true,
        eventId: envelope.id,
        type,
        traceId,
        timestamp: metadata.timestamp,
      });
    }
    let payload: string;
    let release: (() => void) | undefined;
    try {
      payload = this.codec.encode(envelope);
      // Throws when the outage buffer is full: then none of the publish's commands was sent.
      release = this.transport.admit?.(payload);
    } catch (error) {
      this.sequence.giveBack(type, seq);
      throw error;
    }
    const room = target ? targetRoom(metadata) : undefined;
    const limits = room !== undefined && this.historyLimits(room);
    const durable = this.durable.wants(type);
    try {
      if (target !== undefined || durable) {
        // All in one tick, so ioredis pipelines XADD and PUBLISH into one round trip,
        // the stores' commands first: a subscriber that hears the event finds it stored.
        const writes: Promise<unknown>[] = [];
        if (limits)
          writes.push(
            this.roomHistory().append(room!, envelope.id, payload, limits),
          );
        if (durable) writes.push(this.durable.append(type, payload));
        writes.push(this.transport.publish(type, payload));
        // Gateways listen on their own route, not on every type: handlers of the type hear the
        // type's channel (skipped when nobody does), sockets the gateway's.
        if (target !== undefined)
          writes.push(this.transport.publish(GATEWAY_ROUTE, payload));
        if (release) void Promise.allSettled(writes).then(release);
        await Promise.all(writes);
      } else {
        const sent = this.transport.publish(type, payload);
        if (release) void sent.then(release, release);
        await sent;
      }
    } catch (error) {
      if (error instanceof EventBusError) throw error;
      throw new EventBusUnavailableError(
        messages.publishFailed(type, (error as Error).message),
      );
    }
    this.metrics.recordPublished(type);
    return {
      success: true,
      eventId: envelope.id,
      type,
      traceId,
      timestamp: metadata.timestamp,
    };
  }

  /**
   * `send` for the common case (no options, no trace to continue, no target, no
   * DTO): the metadata is the bus' own, so it is written as JSON from a template
   * instead of built as an object, checked and stringified. Same bytes on the wire.
   * On an in-process transport (`publishEnvelope`) an event no durable handler
   * wants is not serialized at all: `copyParts` runs the same checks and copies
   * the data, and the envelope object travels as it is.
   */
  private sendPlain(type: string, data: unknown): Promise<PublishResult> {
    const traceId = createTraceId();
    const timestamp = isoNow();
    const id = createEventId();
    const seq = this.sequence.take(type);
    const metadataJson = `${this.metadataHead}${timestamp}","traceId":"${traceId}","correlationId":"${traceId}","publisherId":"${this.sequence.id}","seq":${seq}}`;
    if (
      this.transport.publishEnvelope !== undefined &&
      !this.durable.wants(type)
    ) {
      let copy: unknown;
      try {
        copy = this.codec.copyParts(
          id,
          type,
          data,
          metadataJson,
          ENVELOPE_VERSION,
        );
      } catch (error) {
        this.sequence.giveBack(type, seq);
        throw error;
      }
      const envelope: EventEnvelope = {
        id,
        type,
        data: copy,
        metadata: {
          source: this.config.serviceName,
          timestamp,
          traceId,
          correlationId: traceId,
          publisherId: this.sequence.id,
          seq,
        },
        version: ENVELOPE_VERSION,
      };
      // NOTE: an in-process publish cannot fail once queued (close delivers the queue first).
      this.metrics.recordPublished(type);
      return this.transport.publishEnvelope<PublishResult>(type, envelope, {
        success: true,
        eventId: id,
        type,
        traceId,
        timestamp,
      });
    }
    let payload: string;
    let release: (() => void) | undefined;
    try {
      payload = this.codec.encodeParts(
        id,
        type,
        data,
        metadataJson,
        ENVELOPE_VERSION,
      );
      // Throws when the outage buffer is full: then none of the publish's commands was sent.
      release = this.transport.admit?.(payload);
    } catch (error) {
      this.sequence.giveBack(type, seq);
      throw error;
    }
    let sent: Promise<unknown>;
    if (this.durable.wants(type)) {
      const writes = [
        this.durable.append(type, payload),
        this.transport.publish(type, payload),
      ];
      if (release) void Promise.allSettled(writes).then(release);
      sent = Promise.all(writes);
    } else {
      sent = this.transport.publish(type, payload);
      if (release) void sent.then(release, release);
    }
    return sent.then(
      () => {
        this.metrics.recordPublished(type);
        return { success: true, eventId: id, type, traceId, timestamp };
      },
      (error: unknown) => {
        if (error instanceof EventBusError) throw error;
        throw new EventBusUnavailableError(
          messages.publishFailed(type, (error as Error).message),
        );
      },
    );
  }

  /**
   * The events published to `room` after `lastEventId`, from the room history.
   * Used by the gateway to recover a reconnecting socket.
   * @internal
   */
  async replayRoom(room: string, lastEventId: string): Promise<RoomEvents> {
    const limits = this.historyLimits(room);
    if (!limits) return { recovered: false, events: [] };
    const { recovered, payloads } = await this.roomHistory().since(
      room,
      lastEventId,
      limits,
    );
    return { recovered, events: this.decodeRoom(room, payloads) };
  }

  /**
   * A page of `room`'s history (none kept: an empty one). Only the page's
   * entries are decoded, however long the history. Used by the gateway.
   * @internal
   */
  async readRoomHistory(
    room: string,
    query: RoomHistoryQuery,
  ): Promise<RoomHistoryPage<EventEnvelope>> {
    const limits = this.historyLimits(room);
    const entries = limits
      ? await this.roomHistory().entries(room, limits)
      : [];
    const page = historyPage(entries, query);
    return {
      ...page,
      events: this.decodeRoom(
        room,
        page.events.map(entry => entry.payload),
      ),
    };
  }

  /**
   * Sets each room's history limits (false: none kept), replacing the bus'
   * `roomHistory` for every room. The gateway sets it from its `rooms` option.
   * @internal
   */
  setRoomHistoryPolicy(
    policy: (room: string) => RoomHistoryLimits | false,
  ): void {
    this.historyPolicy = policy;
  }

  private historyLimits(room: string): RoomHistoryLimits | false {
    if (this.historyPolicy) return this.historyPolicy(room);
    return this.config.roomHistory.enabled && this.config.roomHistory;
  }

  private decodeRoom(room: string, payloads: string[]): EventEnvelope[] {
    const events: EventEnvelope[] = [];
    for (const payload of payloads) {
      const decoded = this.codec.decode(payload);
      // An entry the bus did not write for this room (corrupt, foreign, too deep) is skipped and counted.
      if (decoded.ok && targetRoom(decoded.envelope.metadata) === room)
        events.push(decoded.envelope);
      else {
        this.metrics.recordMalformed(undefined);
        this.reportMalformed(
          `the history of room "${room}"`,
          payload,
          decoded.ok ? `the event is not for room "${room}"` : decoded.reason,
        );
      }
    }
    return events;
  }

  private roomHistory(): RoomHistoryStore {
    return (this.history ??= this.transport.createRoomHistory(
      this.config.roomHistory,
    ));
  }

  /** Logs a dropped message, rate-limited. `where`: e.g. `channel "eventbus:photo.uploaded"`. */
  reportMalformed(where: string, payload: unknown, reason: string): void {
    this.logger.limited(
      'malformed message',
      'warn',
      messages.malformedDropped(where, payload, reason),
    );
  }
}
