import { JwtService } from '@nestjs/jwt';
import type { ClientEvent, GatewayAck } from '@shared-infra/event-bus/gateway';
import { io, type Socket } from 'socket.io-client';
import { Collector } from './collector.js';

export const JWT_SECRET = 'e2e-secret-with-enough-length-0123456789';
const jwt = new JwtService({ secret: JWT_SECRET });

/** A signed token for `userId`, as an identity provider would issue it. */
export function tokenFor(
  userId: string,
  claims: Record<string, unknown> = {},
  expiresIn: number | string = '1h',
): string {
  return jwt.sign(
    { sub: userId, ...claims },
    { expiresIn: expiresIn as number },
  );
}

/**
 * The marker tests send after the events under test (type `marker.event`), for
 * `events.until(isMarker)`: a socket receives a server's emits in order.
 */
export const isMarker = (event: ClientEvent): boolean =>
  event.type === 'marker.event';

/** A socket.io client that records every event it receives. */
export interface TestClient {
  socket: Socket;
  /** Every event other than the gateway's own, in arrival order. */
  events: Collector<ClientEvent>;
  established: {
    socketId: string;
    userId: string;
    clientId: string;
    rooms: string[];
    instanceId: string;
  };
  request(
    message: string,
    payload?: unknown,
    timeoutMs?: number,
  ): Promise<GatewayAck>;
  close(): void;
}

/**
 * Connects to the gateway at `url` and resolves once the server said
 * `connection:established`; rejects with the `connect_error` otherwise.
 */
export function connectClient(
  url: string,
  auth: Record<string, unknown> | undefined,
  options: {
    transports?: Array<'websocket' | 'polling'>;
    extraHeaders?: Record<string, string>;
    reconnection?: boolean;
  } = {},
): Promise<TestClient> {
  const socket = io(url, {
    auth,
    transports: options.transports ?? ['websocket'],
    reconnection: options.reconnection ?? false,
    forceNew: true,
    extraHeaders: options.extraHeaders,
  });
  const events = new Collector<ClientEvent>();
  socket.onAny((name: string, payload: ClientEvent) => {
    if (name !== 'connection:established') events.push(payload);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no connection:established within 5 s'));
    }, 5000);
    socket.once('connect_error', error => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
    socket.once('connection:established', established => {
      clearTimeout(timer);
      resolve({
        socket,
        events,
        established,
        request: (message, payload, timeoutMs = 5000) =>
          (payload === undefined
            ? socket.timeout(timeoutMs).emitWithAck(message)
            : socket
                .timeout(timeoutMs)
                .emitWithAck(message, payload)) as Promise<GatewayAck>,
        close: () => socket.close(),
      });
    });
  });
}

/** The `connect_error` a handshake gets (fails the test if it connects). */
export async function connectError(
  url: string,
  auth: Record<string, unknown> | undefined,
  extraHeaders?: Record<string, string>,
): Promise<{ message: string; data?: { reason?: string } }> {
  try {
    const client = await connectClient(url, auth, { extraHeaders });
    client.close();
  } catch (error) {
    return error as { message: string; data?: { reason?: string } };
  }
  throw new Error('the handshake was accepted');
}
