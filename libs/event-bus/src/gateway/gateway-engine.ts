import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { Server, ServerOptions } from 'socket.io';
import { EventPublisher } from '../publishing/event-publisher.js';
import {
  GATEWAY_CONFIG,
  type ResolvedGatewayConfig,
} from './gateway.config.js';
import { GatewayRedis } from './gateway-redis.js';
import { coalesceFlushedWrites } from './write-coalescing.js';

type AllowRequest = NonNullable<ServerOptions['allowRequest']>;
type CorsDelegate = Extract<
  NonNullable<ServerOptions['cors']>,
  (...args: never[]) => unknown
>;

/**
 * How the gateway's socket.io server is built: the engine settings from the
 * gateway options (`maxHttpBufferSize`, `transports`, `corsOrigins`,
 * `corsCredentials`, `pingInterval`, `pingTimeout`, `perMessageDeflate`, handshakes
 * refused while shutting down), the Redis adapter between instances, the
 * connections behind it, and one write per socket for packets flushed together
 * (`coalesceFlushedWrites`). `EventBusIoAdapter` reads it from the app it is given
 * and applies it in `createIOServer()`; the gateway checks at bootstrap that
 * its server was built that way.
 */
@Injectable()
export class GatewayEngine implements OnApplicationShutdown {
  /** The gateway's Redis connections (Redis transport only). */
  readonly redis?: GatewayRedis;
  private accepting = true;
  private server?: Server;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: ResolvedGatewayConfig,
    publisher: EventPublisher,
  ) {
    this.redis = GatewayRedis.of(
      publisher.transport,
      publisher.config.redis?.channelPrefix,
    );
  }

  /** False once the gateway shuts down: handshakes are turned away. */
  get isAccepting(): boolean {
    return this.accepting;
  }

  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * `options` with the gateway's engine settings merged in: they win over the
   * same keys in `options` (`pingInterval`, `pingTimeout`, `perMessageDeflate`
   * only when given as gateway options); an `allowRequest` there runs after
   * the gateway's. Everything else (`path`, `connectTimeout`, …) is kept.
   */
  serverOptions(options: Partial<ServerOptions> = {}): Partial<ServerOptions> {
    const own = options.allowRequest;
    const allowRequest: AllowRequest = (req, callback) => {
      if (!this.accepting) return callback('server is shutting down', false);
      const origin = req.headers.origin;
      if (origin && !this.isAllowedOrigin(origin, req))
        return callback(
          `origin ${origin} is not allowed (gateway option corsOrigins)`,
          false,
        );
      if (own) return own(req, callback);
      callback(null, true);
    };
    const cors: CorsDelegate = (req, callback) => {
      const origin = (req as IncomingMessage).headers.origin;
      if (!origin || !this.isAllowedOrigin(origin, req as IncomingMessage))
        return callback(null, { origin: false });
      callback(null, {
        origin,
        credentials: this.config.engine.corsCredentials,
        methods: ['GET', 'POST'],
        allowedHeaders: ['Authorization', 'Content-Type'],
      });
    };
    return {
      ...options,
      ...this.heartbeatOptions(options),
      maxHttpBufferSize: this.config.maxHttpBufferSize,
      transports: [...this.config.transports],
      cors,
      allowRequest,
    };
  }

  /**
   * `pingInterval`, `pingTimeout`, `perMessageDeflate`: the gateway option when
   * one is given, else what `options` has (an adapter subclass that sets them,
   * as the README showed before they were gateway options), else the default.
   */
  private heartbeatOptions(
    options: Partial<ServerOptions>,
  ): Pick<ServerOptions, 'pingInterval' | 'pingTimeout' | 'perMessageDeflate'> {
    const given = this.config.options;
    const engine = this.config.engine;
    const pick = <
      K extends 'pingInterval' | 'pingTimeout' | 'perMessageDeflate',
    >(
      key: K,
    ): ServerOptions[K] =>
      (given[key] === undefined && options[key] !== undefined
        ? options[key]
        : engine[key]) as ServerOptions[K];
    return {
      pingInterval: pick('pingInterval'),
      pingTimeout: pick('pingTimeout'),
      perMessageDeflate: pick('perMessageDeflate'),
    };
  }

  /** Called by `EventBusIoAdapter` with the server it built from `serverOptions()`. */
  attach(server: Server): void {
    this.server = server;
    if (this.redis) server.adapter(this.redis.socketIoAdapter() as never);
    coalesceFlushedWrites(server);
  }

  /** Whether `server` was built through `EventBusIoAdapter`. */
  serves(server: Server): boolean {
    return this.server !== undefined && this.server === server;
  }

  /** Whether the server is on the app's HTTP server and the engine has none yet. */
  wants(port: number): boolean {
    return port === 0 && this.server === undefined;
  }

  /** After the server closed: quits the Redis connections. */
  async release(server: Server): Promise<void> {
    if (server !== this.server) return;
    await this.redis?.quit();
  }

  /** In case no server closed first (the app never got as far as building one). */
  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit();
  }

  private isAllowedOrigin(origin: string, req: IncomingMessage): boolean {
    const allowed = this.config.corsOrigins;
    if (allowed === '*') return true;
    if (allowed.includes(origin)) return true;
    // Same origin: the page was served by this host.
    const host = req.headers.host;
    return (
      host !== undefined &&
      (origin === `http://${host}` || origin === `https://${host}`)
    );
  }
}
