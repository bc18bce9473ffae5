import type { Socket } from 'socket.io';
import { valueDepthExceeds } from '../envelope/json-depth.js';
import type { EventBusLogger } from '../event-bus.logger.js';
import { IDENTITY_ID_PATTERN } from '../rooms/room-names.js';
import type { ConnectionRateLimiter } from './connection-rate-limiter.js';
import type { GatewayCounters } from './gateway-counters.js';
import type {
  GatewayAck,
  SocketAuthenticator,
  SocketIdentity,
} from './interfaces.js';
import { SocketAuthError } from './socket-auth.error.js';
import { TokenBucket } from './token-bucket.js';

/** A client message as socket.io middleware sees it: [event, ...args, ack?]. */
type Packet = [string, ...unknown[]];

/** How long a socket over the rate limit has to get the answers to its accepted messages before it is cut. */
const ABUSE_DISCONNECT_GRACE_MS = 5000;

/** What the gateway keeps on `socket.data`. */
interface GatewaySocketData {
  identity: SocketIdentity;
}

/** A socket's standing with the rate limiter. */
interface RateState {
  /** Accepted messages whose ack has not been sent yet. */
  unanswered: number;
  /** Over the limit too long: refuses everything, and is cut once `unanswered` is 0. */
  cutting: boolean;
}

/** The identity the handshake put on a socket (undefined only if the middleware was bypassed). */
export function identityOf(socket: Socket): SocketIdentity {
  return (socket.data as GatewaySocketData).identity;
}

/**
 * The gateway's socket.io middleware (`server.use(handshake.handle)`):
 * refuses handshakes over `connectionRateLimit` (`connect_error` "rate_limited"),
 * authenticates the others (refusals throw `SocketAuthError`, which the client
 * gets as `connect_error` "unauthorized" with `data.reason`), then puts a rate
 * limit and a depth limit on every message the socket sends.
 */
export class HandshakeMiddleware {
  constructor(
    private readonly authenticator: SocketAuthenticator,
    private readonly limits: {
      rateLimit: { burst: number; perSecond: number; disconnectAfter: number };
      maxDepth: number;
    },
    private readonly counters: GatewayCounters,
    private readonly logger: EventBusLogger,
    private readonly connections?: ConnectionRateLimiter,
  ) {}

  readonly handle = (socket: Socket, next: (error?: Error) => void): void => {
    if (this.connections && !this.connections.admit(socket.handshake)) {
      this.counters.connectionsRateLimited++;
      const reason = `too many connection attempts from this address; retry in ${this.connections.retryAfterSeconds} s`;
      next(Object.assign(new Error('rate_limited'), { data: { reason } }));
      return;
    }
    this.authenticate(socket).then(
      () => next(),
      (error: Error) => next(error),
    );
  };

  private async authenticate(socket: Socket): Promise<void> {
    let identity: SocketIdentity;
    try {
      identity = await this.authenticator.authenticate(socket.handshake);
      if (
        !identity ||
        typeof identity.userId !== 'string' ||
        !IDENTITY_ID_PATTERN.test(identity.userId)
      ) {
        throw new SocketAuthError(
          'the authenticator returned no valid userId (1-100 characters of letters, digits and "_ - . @")',
        );
      }
      if (!identity.clientId || !IDENTITY_ID_PATTERN.test(identity.clientId))
        identity = {
          ...identity,
          clientId: socket.id.replace(/[^A-Za-z0-9_\-.@]/g, '_'),
        };
      if (
        identity.sessionId !== undefined &&
        !IDENTITY_ID_PATTERN.test(identity.sessionId)
      )
        identity = { ...identity, sessionId: undefined };
      identity.permissions ??= [];
      identity.claims ??= {};
    } catch (error) {
      this.counters.unauthorized++;
      const reason =
        error instanceof SocketAuthError
          ? error.reason
          : 'authentication failed';
      if (!(error instanceof SocketAuthError))
        this.logger.limited(
          'authenticator threw',
          'warn',
          `Socket authenticator threw: ${(error as Error)?.message}`,
        );
      throw Object.assign(new Error('unauthorized'), { data: { reason } });
    }
    (socket.data as GatewaySocketData).identity = identity;
    this.limitRate(socket, identity);
    this.limitDepth(socket);
  }

  /**
   * Refuses, with `invalid`, a message nested deeper than `limits.maxDepth`
   * (plus the message's own level): validation, size checks and socket.io's
   * encoder recurse, and must never meet such a value.
   */
  private limitDepth(socket: Socket): void {
    const { maxDepth } = this.limits;
    socket.use((packet: Packet, next) => {
      const ack = packet[packet.length - 1];
      const args =
        typeof ack === 'function' ? packet.slice(1, -1) : packet.slice(1);
      // args (an array) and the message object are two levels above `data`.
      if (!valueDepthExceeds(args, maxDepth + 2)) return next();
      this.counters.invalid++;
      if (typeof ack === 'function') {
        (ack as (reply: GatewayAck) => void)({
          ok: false,
          code: 'invalid',
          error: `the message is nested deeper than ${maxDepth} levels (limits.maxDepth)`,
        });
      }
    });
  }

  /**
   * A token bucket over the socket's messages. Refused ones are answered
   * `rate_limited` at once; after `disconnectAfter` refusals with no quiet
   * second between them the socket is cut, once every message accepted
   * before has been answered.
   */
  private limitRate(socket: Socket, identity: SocketIdentity): void {
    const { burst, perSecond, disconnectAfter } = this.limits.rateLimit;
    const bucket = new TokenBucket(burst, perSecond);
    const state: RateState = { unanswered: 0, cutting: false };
    const last = (packet: Packet) => packet.length - 1;
    socket.use((packet: Packet, next) => {
      const ack = packet[last(packet)];
      if (!state.cutting && bucket.take()) {
        if (typeof ack === 'function') {
          state.unanswered++;
          packet[last(packet)] = (...reply: unknown[]) => {
            (ack as (...args: unknown[]) => void)(...reply);
            if (--state.unanswered === 0 && state.cutting)
              socket.disconnect(true);
          };
        }
        return next();
      }
      this.counters.rateLimited++;
      if (typeof ack === 'function') {
        (ack as (reply: GatewayAck) => void)({
          ok: false,
          code: 'rate_limited',
          error: `more than ${perSecond} messages per second (burst ${burst}); slow down`,
        });
      }
      if (!state.cutting && bucket.refusals >= disconnectAfter) {
        state.cutting = true;
        this.counters.disconnectedForAbuse++;
        this.logger.limited(
          'disconnected for abuse',
          'warn',
          `Disconnecting socket ${socket.id} of user ${identity.userId}: ${bucket.refusals} messages over the rate limit without a quiet second.`,
        );
        if (state.unanswered === 0) socket.disconnect(true);
        // A handler that never answers must not keep an abusive socket connected.
        else
          setTimeout(
            () => socket.disconnect(true),
            ABUSE_DISCONNECT_GRACE_MS,
          ).unref();
      }
    });
  }
}
