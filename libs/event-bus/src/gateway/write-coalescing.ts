import type { Socket as NetSocket } from 'node:net';
import type { Server } from 'socket.io';

/** What is read of an engine.io connection: its transport, and through it the TCP socket of a WebSocket. */
interface EngineConnection {
  transport?: {
    name?: string;
    socket?: { _socket?: Partial<NetSocket> };
  };
}

/** The TCP socket under a WebSocket connection, when it can be corked. */
function tcpOf(connection: EngineConnection): Partial<NetSocket> | undefined {
  const transport = connection.transport;
  if (transport?.name !== 'websocket') return undefined;
  // ws keeps its socket in `_socket`; engine.io reaches into ws the same way (`_sender`).
  const tcp = transport.socket?._socket;
  return typeof tcp?.cork === 'function' && typeof tcp.uncork === 'function'
    ? tcp
    : undefined;
}

/**
 * One write per socket for the packets engine.io flushes together. engine.io
 * sends one packet per connection at a time: the packets queued meanwhile
 * (a burst of events, as when several arrive in one read from Redis while the
 * server is busy fanning out the previous one) go out together in one flush,
 * but ws writes each as a frame of its own, one `writev` system call per
 * packet and socket, the bulk of a fan-out's CPU. Corking the TCP socket for
 * a flush of more than one packet puts those frames in one system call; a
 * flush of one packet is left alone. Bytes and their order are unchanged.
 *
 * Listens to the engine's `flush` and `drain` (both emitted synchronously
 * around the transport's `send`), so nothing is kept per socket.
 */
export function coalesceFlushedWrites(server: Server): void {
  const engine = server.engine as unknown as
    | {
        on(
          event: 'flush',
          listener: (connection: EngineConnection, buffer: unknown[]) => void,
        ): void;
        on(event: 'drain', listener: () => void): void;
      }
    | undefined;
  if (!engine || typeof engine.on !== 'function') return;
  let corked: Partial<NetSocket> | undefined;
  engine.on('flush', (connection, buffer) => {
    if (buffer.length < 2) return;
    const tcp = tcpOf(connection);
    if (!tcp) return;
    // A flush whose drain never came (it cannot: both are in one synchronous call) must not stay corked.
    corked?.uncork?.();
    tcp.cork!();
    corked = tcp;
  });
  engine.on('drain', () => {
    const tcp = corked;
    corked = undefined;
    tcp?.uncork!();
  });
}
