import { Logger } from '@nestjs/common';
import {
  HttpAdapterHost,
  type ApplicationConfig,
  type ModuleRef,
} from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { isObservable, type Observable } from 'rxjs';

/** A gateway response that names its own event instead of being an ack. */
interface WsResponse {
  event: string;
  data: unknown;
}

/**
 * Nest's `IoAdapter` with a lighter per-socket binding of message handlers.
 * Nest's own builds an rxjs chain per handler and socket that lives as long as
 * the socket (`fromEvent` → `mergeMap` → `takeUntil(disconnect)`): about 4.7 KB
 * per handler, 23 KB per socket for the bus gateway's five messages. This one
 * adds a plain listener per handler and subscribes to a handler's result only
 * while it is being answered. Acks, `{ event, data }` responses, guards,
 * interceptors, pipes and filters behave as with `IoAdapter`.
 *
 * `EventBusGatewayModule` installs it when the app has set no adapter of its
 * own; to combine it with other settings, extend it and pass it to
 * `app.useWebSocketAdapter()`.
 *
 * @publicApi
 */
export class EventBusIoAdapter extends IoAdapter {
  private readonly log = new Logger('EventBusIoAdapter');

  /**
   * @param appOrHttpServer as for `IoAdapter`; or an `HttpAdapterHost`, read
   * when the first server is created (the HTTP server does not exist earlier).
   */
  constructor(
    appOrHttpServer?:
      ConstructorParameters<typeof IoAdapter>[0] | HttpAdapterHost,
  ) {
    const host = isHttpAdapterHost(appOrHttpServer)
      ? appOrHttpServer
      : undefined;
    super(
      host
        ? undefined
        : (appOrHttpServer as ConstructorParameters<typeof IoAdapter>[0]),
    );
    this.host = host;
  }

  private readonly host?: HttpAdapterHost;

  override createIOServer(port: number, options?: ServerOptions): Server {
    if (!this.httpServer && this.host?.httpAdapter)
      (this as unknown as { httpServer: unknown }).httpServer =
        this.host.httpAdapter.getHttpServer();
    return super.createIOServer(port, options) as Server;
  }

  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(message as string, (...args: unknown[]) => {
        const { data, ack } = this.mapPayload(args);
        let result: Observable<unknown>;
        try {
          result = transform(callback(data, ack));
        } catch (error) {
          this.log.error(error);
          return;
        }
        if (!isObservable(result)) return;
        result.subscribe({
          next: response => {
            if (response === null || response === undefined) return;
            const named = response as Partial<WsResponse>;
            if (named.event) {
              socket.emit(named.event, named.data);
              return;
            }
            if (!isAckHandledManually && typeof ack === 'function')
              (ack as (response: unknown) => void)(response);
          },
          error: (error: unknown) => this.log.error(error),
        });
      });
    }
  }
}

function isHttpAdapterHost(value: unknown): value is HttpAdapterHost {
  return value instanceof HttpAdapterHost;
}

/**
 * Makes `EventBusIoAdapter` the app's WebSocket adapter unless it has one
 * already. Runs while providers are created, before Nest mounts gateways; an
 * adapter the app sets later with `app.useWebSocketAdapter()` still wins.
 * @internal
 */
export function installIoAdapter(
  moduleRef: ModuleRef,
  host: HttpAdapterHost,
): boolean {
  // NOTE: Nest offers no public way to reach the application config from a module; the
  // container behind every ModuleRef holds it. Without it nothing breaks: Nest's IoAdapter is used.
  const config = (
    moduleRef as unknown as {
      container?: { applicationConfig?: ApplicationConfig };
    }
  ).container?.applicationConfig;
  if (
    !config ||
    typeof config.getIoAdapter !== 'function' ||
    config.getIoAdapter()
  )
    return false;
  config.setIoAdapter(new EventBusIoAdapter(host));
  return true;
}
