import { Logger, type INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { isObservable, type Observable } from 'rxjs';
import { GatewayEngine } from './gateway-engine.js';

/** A gateway response that names its own event instead of being an ack. */
interface WsResponse {
  event: string;
  data: unknown;
}

/**
 * The WebSocket adapter the bus gateway needs; install it in `main.ts`:
 *
 * @example
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new EventBusIoAdapter(app));
 * await app.listen(3000);
 *
 * It builds the socket.io server on the app's HTTP server with the gateway's
 * engine settings (`maxHttpBufferSize`, `transports`, `corsOrigins`,
 * `corsCredentials`, `pingInterval`, `pingTimeout`, `perMessageDeflate`,
 * handshakes refused while shutting down) merged into the `ServerOptions`, installs
 * `@socket.io/redis-adapter` between instances on the Redis transport, and
 * closes the gateway's Redis connections after the server. Without
 * `EventBusGatewayModule` it is a plain `IoAdapter`.
 *
 * It also binds message handlers more lightly than Nest's own, which builds an
 * rxjs chain per handler and socket that lives as long as the socket
 * (`fromEvent` → `mergeMap` → `takeUntil(disconnect)`): about 4.7 KB per
 * handler, 23 KB per socket for the bus gateway's five messages. This one adds
 * a plain listener per handler and subscribes to a handler's result only while
 * it is being answered. Acks, `{ event, data }` responses, guards,
 * interceptors, pipes and filters behave as with `IoAdapter`.
 *
 * To set other socket.io options (`path`, `connectTimeout`, …), extend it and
 * pass them to `super.createIOServer(port, { ...options, path })`.
 *
 * @publicApi
 */
export class EventBusIoAdapter extends IoAdapter {
  private readonly log = new Logger('EventBusIoAdapter');
  private readonly engine?: GatewayEngine;

  /**
   * @param app the application (after `NestFactory.create()`): its HTTP server
   * and, when it imports `EventBusGatewayModule`, the gateway's settings. (An
   * HTTP server, as `IoAdapter` takes it, gives a plain adapter: no gateway.)
   */
  constructor(app?: ConstructorParameters<typeof IoAdapter>[0]) {
    super(app);
    this.engine = gatewayEngineOf(app);
  }

  override createIOServer(
    port: number,
    options?: Partial<ServerOptions>,
  ): Server {
    const engine = this.engine?.wants(port) ? this.engine : undefined;
    // socket.io fills in every option left out: its ServerOptions are all optional in effect.
    if (!engine)
      return super.createIOServer(port, options as ServerOptions) as Server;
    const server = super.createIOServer(
      port,
      engine.serverOptions(options) as ServerOptions,
    ) as Server;
    engine.attach(server);
    return server;
  }

  /**
   * Closes the server, then the gateway's Redis connections: the socket.io
   * Redis adapter unsubscribes while they are still open.
   */
  override async close(server: Server): Promise<void> {
    try {
      await super.close(server);
    } finally {
      await this.engine?.release(server);
    }
  }

  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(message as string, (...args: unknown[]) => {
        const { data, ack } = messageArgs(args);
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

/**
 * A message's payload and ack callback. `IoAdapter.mapPayload` hands a message
 * sent without an ack (`socket.emit('subscribe:photo', { photoId })`, as seed
 * 003's clients send them) to the handler as `[payload]`, an array, which the
 * handler's DTO then refuses, silently: no ack to carry the refusal.
 */
function messageArgs(args: unknown[]): { data: unknown; ack?: unknown } {
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    const rest = args.slice(0, -1);
    return { data: rest.length === 1 ? rest[0] : rest, ack: last };
  }
  // Otherwise as mapPayload: several arguments (or none) stay an array.
  return { data: args.length === 1 ? args[0] : args };
}

/** The gateway's engine in `app`, if it imports `EventBusGatewayModule`. */
function gatewayEngineOf(app: object | undefined): GatewayEngine | undefined {
  const context = app as Partial<INestApplicationContext> | undefined;
  if (typeof context?.get !== 'function') return undefined;
  try {
    return context.get(GatewayEngine, { strict: false });
  } catch {
    return undefined;
  }
}
