import {
  ClientProxy,
  type ReadPacket,
  type WritePacket,
} from '@nestjs/microservices';
import { Observable, type Subscriber } from 'rxjs';
import { RequestResponseNotSupportedError } from '../errors/request-response-not-supported.error.js';
import type { EventBusService } from '../event-bus.service.js';
import type {
  PublishOptions,
  PublishResult,
} from '../interfaces/publish.interface.js';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type { EventBusTransportOptions } from './event-pattern-extras.interface.js';
import { microservicesMessages } from './microservices.messages.js';
import { resolveBus } from './resolve-bus.util.js';

/** Statuses of `EventBusClientProxy.status`. */
export type EventBusClientStatus = 'connected' | 'disconnected';

// Packet metadata keys (set through ClientProxy#setOnDispatchHook) that map onto the envelope.
const TRACE_KEYS = [
  'traceId',
  'correlationId',
  'causationId',
  'idempotencyKey',
] as const;

/**
 * A Nest `ClientProxy` on the event bus: `emit(type, data)` is
 * `EventBusService.publish(type, data)`, so it is validated, traced (inside a
 * handler the event keeps its trace) and reaches `@OnEvent` and `@EventPattern`
 * handlers alike; the observable emits the `PublishResult` or the
 * `EventValidationError` / `EventBusUnavailableError`. `traceId`,
 * `correlationId`, `causationId` and `idempotencyKey` set on the packet
 * metadata by a dispatch hook become publish options; other keys are ignored.
 *
 * `send()` errors with `RequestResponseNotSupportedError`: the bus does not do
 * request/response. `close()` leaves the bus up: it belongs to the app.
 *
 * @example
 * ClientsModule.registerAsync([{
 *   name: 'PHOTOS',
 *   inject: [EventBusService],
 *   useFactory: (bus: EventBusService) => ({ customClass: EventBusClientProxy, options: { bus } }),
 * }]);
 *
 * @publicApi
 */
export class EventBusClientProxy extends ClientProxy<
  Record<string, never>,
  EventBusClientStatus
> {
  private readonly bus: EventBusService;

  /** @param options the app's `EventBusService`, or `{ bus }` */
  constructor(options: EventBusTransportOptions) {
    super();
    this.bus = resolveBus(options, EventBusClientProxy.name);
  }

  /** Nothing to open: the bus connects with the app. */
  async connect(): Promise<EventBusService> {
    this._status$.next('connected');
    return this.bus;
  }

  /** Marks the client closed; the bus stays up. */
  async close(): Promise<void> {
    this._status$.next('disconnected');
  }

  /** The `EventBusService` this client publishes on. */
  unwrap<T = EventBusService>(): T {
    return this.bus as T;
  }

  /** @throws InvalidConfigurationError: the bus has no broker events; read `status` or the bus' health instead. */
  override on(event: string): never {
    throw new InvalidConfigurationError(
      microservicesMessages.noBrokerEvents(
        EventBusClientProxy.name,
        String(event),
      ),
    );
  }

  /**
   * Publishes at once and returns a hot observable of the `PublishResult`
   * (or the error). Nest's own `emit()` goes through `defer` → `connect()` →
   * `mergeMap` → `connectable`, which costs more than the publish itself on the
   * hot path; the bus needs no connect step. Unlike Nest's version, a subscriber
   * that comes after the publish settled still gets its result.
   */
  override emit<TResult = PublishResult, TInput = unknown>(
    pattern: unknown,
    data: TInput,
  ): Observable<TResult> {
    // null / undefined pattern or data: Nest's own InvalidMessageException.
    if (
      pattern === null ||
      pattern === undefined ||
      data === null ||
      data === undefined
    )
      return super.emit(pattern, data);
    return observeSettled(
      this.dispatchEvent<TResult>(this.createPacket(pattern, data)),
    );
  }

  /** `send()` lands here: refused, see `RequestResponseNotSupportedError`. */
  protected publish(
    packet: ReadPacket,
    callback: (packet: WritePacket) => void,
  ): () => void {
    callback({
      err: new RequestResponseNotSupportedError(
        microservicesMessages.sendRefused(
          this.normalizePattern(packet.pattern),
        ),
      ),
    });
    return () => undefined;
  }

  /** `emit()` lands here: one `publish` on the bus. */
  protected dispatchEvent<T = PublishResult>(packet: ReadPacket): Promise<T> {
    let options: PublishOptions | undefined;
    const metadata = packet.metadata;
    if (metadata)
      for (const key of TRACE_KEYS)
        if (metadata[key]) (options ??= {})[key] = metadata[key];
    return this.bus.publish(
      this.normalizePattern(packet.pattern),
      packet.data,
      options,
    ) as Promise<T>;
  }
}

/**
 * A hot observable of one promise's outcome, for late subscribers too. One
 * `then` (rxjs' `from` adds two, plus a `catch` to keep an emit nobody
 * subscribes to as silent on failure as Nest's): it runs for every emit.
 */
function observeSettled<T>(promise: Promise<T>): Observable<T> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  let outcome: unknown;
  let waiting: Array<Subscriber<T>> | undefined;
  promise.then(
    value => {
      state = 'resolved';
      outcome = value;
      const subscribers = waiting ?? [];
      waiting = undefined;
      for (const subscriber of subscribers) {
        subscriber.next(value);
        subscriber.complete();
      }
    },
    (error: unknown) => {
      state = 'rejected';
      outcome = error;
      const subscribers = waiting ?? [];
      waiting = undefined;
      for (const subscriber of subscribers) subscriber.error(error);
    },
  );
  return new Observable<T>(subscriber => {
    if (state === 'resolved') {
      subscriber.next(outcome as T);
      subscriber.complete();
      return undefined;
    }
    if (state === 'rejected') {
      subscriber.error(outcome);
      return undefined;
    }
    (waiting ??= []).push(subscriber);
    return () => {
      const at = waiting?.indexOf(subscriber) ?? -1;
      if (at >= 0) waiting!.splice(at, 1);
    };
  });
}
