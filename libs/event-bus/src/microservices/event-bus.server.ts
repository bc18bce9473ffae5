import {
  Server,
  type CustomTransportStrategy,
  type MessageHandler,
} from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { RequestResponseNotSupportedError } from '../errors/request-response-not-supported.error.js';
import type { EventBusService } from '../event-bus.service.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import type { Subscription } from '../interfaces/publish.interface.js';
import { EventBusContext } from './event-bus.context.js';
import type {
  EventBusTransportOptions,
  EventPatternExtras,
} from './event-pattern-extras.interface.js';
import { EVENT_BUS_TRANSPORT_ID } from './microservices.constants.js';
import { microservicesMessages } from './microservices.messages.js';
import { resolveBus } from './resolve-bus.util.js';

/** Statuses of `EventBusServer.status`. */
export type EventBusServerStatus = 'connected' | 'disconnected';

interface EventRoute {
  pattern: string;
  handler: MessageHandler;
  extras: EventPatternExtras;
}

/**
 * A Nest microservices transport on the event bus: `@EventPattern` handlers
 * become bus subscriptions, so a service on `Transport.REDIS` moves over by
 * swapping its strategy. Handlers get the envelope's `data` as payload and an
 * `EventBusContext` (`getEnvelope()`); patterns use the bus grammar (`*` one
 * segment, `**` any); `@EventPattern` extras are `@OnEvent` options (retry,
 * timeout, filter, concurrency, `durable`, `group`…). Validation, retries,
 * dead letters and tracing come from the bus: events published inside a
 * handler keep its trace.
 *
 * It uses the app's `EventBusService` (one bus, one set of Redis connections per
 * process) and never closes it. `@MessagePattern` handlers make `listen` fail
 * with `RequestResponseNotSupportedError`: see its message for what to use.
 *
 * @example
 * const app = await NestFactory.create(AppModule);
 * app.connectMicroservice({ strategy: new EventBusServer(app.get(EventBusService)) });
 * await app.startAllMicroservices();
 *
 * @publicApi
 */
export class EventBusServer
  extends Server<Record<string, never>, EventBusServerStatus>
  implements CustomTransportStrategy
{
  override readonly transportId = EVENT_BUS_TRANSPORT_ID;
  // NOTE: handler errors must reach the bus, which retries and dead-letters them.
  override readonly propagatesEventHandlerErrors = true;
  private readonly bus: EventBusService;
  private readonly routes: EventRoute[] = [];
  private subscriptions: Subscription[] = [];
  private hooked = false;

  /** @param options the app's `EventBusService`, or `{ bus }` */
  constructor(options: EventBusTransportOptions) {
    super();
    this.bus = resolveBus(options, EventBusServer.name);
  }

  /**
   * Subscribes every `@EventPattern` handler on the bus; fails on `@MessagePattern` handlers.
   * In a hybrid app whose `startAllMicroservices()` runs before `listen()` (the
   * bus starts with the app), it answers at once and subscribes when the bus
   * has started: waiting would hold `startAllMicroservices()` forever.
   */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const requests = [...this.messageHandlers]
        .filter(([, handler]) => !handler.isEventHandler)
        .map(([pattern]) => pattern);
      if (requests.length > 0)
        throw new RequestResponseNotSupportedError(
          microservicesMessages.messagePatternRefused(requests),
        );
    } catch (error) {
      callback(error);
      return;
    }
    let started = false;
    void this.bus.whenStarted().then(() => (started = true));
    // One turn of the microtask queue tells whether the bus has started already.
    await Promise.resolve();
    if (!started) {
      callback();
      void this.bus
        .whenStarted()
        .then(() => this.subscribeAll())
        .catch((error: unknown) =>
          this.logger.error(
            `EventBusServer could not subscribe its handlers: ${(error as Error).message}`,
            (error as Error).stack,
          ),
        );
      return;
    }
    try {
      await this.subscribeAll();
      callback();
    } catch (error) {
      await this.close();
      callback(error);
    }
  }

  private async subscribeAll(): Promise<void> {
    for (const { route, name } of this.nameRoutes()) {
      const subscription = await this.bus.subscribe(
        route.pattern,
        event => this.invoke(route, event),
        { ...route.extras, name },
      );
      this.subscriptions.push(subscription);
    }
    this._status$.next('connected');
  }

  /** Removes this server's subscriptions. The bus stays up: it belongs to the app. */
  async close(): Promise<void> {
    const subscriptions = this.subscriptions.splice(0);
    await Promise.allSettled(
      subscriptions.map(subscription => subscription.unsubscribe()),
    );
    this._status$.next('disconnected');
  }

  /** The `EventBusService` this server subscribes on. */
  unwrap<T = EventBusService>(): T {
    return this.bus as T;
  }

  /** @throws InvalidConfigurationError: the bus has no broker events; read `status` or the bus' health instead. */
  on(event: string): never {
    throw new InvalidConfigurationError(
      microservicesMessages.noBrokerEvents(EventBusServer.name, String(event)),
    );
  }

  /**
   * Records a handler. Event handlers of one pattern are kept apart instead of
   * chained, so each has its own subscription: its own retries, concurrency and
   * durable group, and one handler's failure does not re-run the others.
   */
  override addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, unknown> = {},
  ): void {
    const route = this.normalizePattern(pattern as string);
    callback.isEventHandler = isEventHandler;
    callback.extras = extras;
    if (isEventHandler)
      this.routes.push({
        pattern: route,
        handler: callback,
        extras: extras as EventPatternExtras,
      });
    if (!isEventHandler || !this.messageHandlers.has(route))
      this.messageHandlers.set(route, callback);
  }

  /** Names for logs and default durable groups: `EventBusServer(<pattern>)`, `#2`… for repeats. */
  private nameRoutes(): Array<{ route: EventRoute; name: string }> {
    const seen = new Map<string, number>();
    const durableDefaults = new Set<string>();
    return this.routes.map(route => {
      const count = (seen.get(route.pattern) ?? 0) + 1;
      seen.set(route.pattern, count);
      const name =
        route.extras.name ??
        `EventBusServer(${route.pattern})${count > 1 ? `#${count}` : ''}`;
      if (route.extras.durable && !route.extras.group && !route.extras.name) {
        if (durableDefaults.has(route.pattern))
          throw new InvalidConfigurationError(
            microservicesMessages.defaultGroupClash(route.pattern),
          );
        durableDefaults.add(route.pattern);
      }
      return { route, name };
    });
  }

  /** Records that processing hooks (tracing instrumentation) were set: events then run inside them. */
  override setOnProcessingStartHook(
    hook: Parameters<Server['setOnProcessingStartHook']>[0],
  ): void {
    this.hooked = true;
    super.setOnProcessingStartHook(hook);
  }

  override setOnProcessingEndHook(
    hook: Parameters<Server['setOnProcessingEndHook']>[0],
  ): void {
    this.hooked = true;
    super.setOnProcessingEndHook(hook);
  }

  /** Runs one handler inside Nest's processing hooks; resolves or rejects with it, for the bus' retries. */
  private invoke(route: EventRoute, event: EventEnvelope): Promise<void> {
    const context = new EventBusContext([event, route.pattern]);
    // NOTE: without hooks, Nest's runWithProcessingHooks only adds promises: call the handler straight.
    if (!this.hooked) {
      try {
        return settle(route.handler(event.data, context));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : toError(error));
      }
    }
    return new Promise<void>((resolve, reject) => {
      const started: unknown = this.runWithProcessingHooks(
        context,
        async runEndHook => {
          try {
            const result: unknown = await route.handler(event.data, context);
            if (isObservable(result))
              await lastValueFrom(result, { defaultValue: undefined });
            resolve();
          } catch (error) {
            reject(error instanceof Error ? error : toError(error));
          } finally {
            runEndHook();
          }
        },
      );
      // NOTE: the outcome went to resolve/reject above; only a throwing end hook can land here.
      if (started instanceof Promise) started.catch(() => undefined);
    });
  }
}

/** A handler's result as the bus wants it: resolved when done (an observable: when it completes), rejected with an Error. */
function settle(result: unknown): Promise<void> {
  // NOTE: one `then`, no async wrapper: this runs for every event.
  return Promise.resolve(result).then(
    value =>
      isObservable(value)
        ? lastValueFrom(value, { defaultValue: undefined }).then(noop, rethrow)
        : undefined,
    rethrow,
  );
}

function noop(): void {}

function rethrow(error: unknown): never {
  throw error instanceof Error ? error : toError(error);
}

/** Nest's RPC exception filter rethrows `{ status, message }` objects; the bus logs errors. */
function toError(error: unknown): Error {
  const message =
    typeof error === 'object' && error && 'message' in error
      ? String((error as { message: unknown }).message)
      : String(error);
  return Object.assign(new Error(message), { cause: error });
}
