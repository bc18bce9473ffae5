import type { Redis } from 'ioredis';

/**
 * Makes the commands a client sends in one tick leave in one socket write:
 * the first command of a tick corks the connection's socket, a
 * `process.nextTick` uncorks it (Node then writes the buffered commands with
 * one `writev`).
 *
 * What ioredis' `enableAutoPipelining` gives, without its per-tick `Pipeline`:
 * on the bus' publisher at a steady 5,000 events/s that pipeline kept about
 * 2 KB per event alive past two scavenges, so the young generation was copied
 * and promoted over and over (scavenges of 3 to 9 ms instead of under 1 ms,
 * a Mark-Compact every second) and the publisher's pauses became the
 * subscribers' tail latency (BENCHMARKS.md, "fan-out latency"). Commands stay
 * in the order they were issued, as on any one connection.
 *
 * Standalone and Sentinel clients only: a Cluster client keeps ioredis'
 * auto-pipelining, which also groups commands per node.
 */
export function corkWrites(client: Redis): void {
  const send = client.sendCommand.bind(client);
  let corked = false;
  client.sendCommand = (command, stream) => {
    const socket = client.stream;
    // Only commands written to the connection itself (not queued while it is down, not into
    // an explicit pipeline's stream) are corked.
    if (
      !corked &&
      stream === undefined &&
      client.status === 'ready' &&
      socket?.writable
    ) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return send(command, stream);
  };
}
