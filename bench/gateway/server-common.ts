/**
 * The IPC side of both server children: reports its port when ready, then
 * answers `memory` (RSS and heap after a full GC when run with --expose-gc,
 * and the peak RSS)
 * and `cpu` (CPU time since the last `cpu` call) until the parent says `exit`.
 */
import { cpuSince, fail, onCommand, report } from '../lib/ipc.js';

const gc = (globalThis as { gc?: () => void }).gc;

async function settledMemory(): Promise<{
  rssMb: number;
  maxRssMb: number;
  heapUsedMb: number;
  externalMb: number;
  gc: boolean;
}> {
  if (gc) {
    // Twice, with a pause: the second pass collects what the first one's finalizers freed.
    gc();
    await new Promise(resolve => setTimeout(resolve, 100));
    gc();
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  const usage = process.memoryUsage();
  return {
    rssMb: usage.rss / 1024 / 1024,
    // resourceUsage().maxRSS is in kilobytes.
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: usage.heapUsed / 1024 / 1024,
    externalMb: (usage.external + usage.arrayBuffers) / 1024 / 1024,
    gc: gc !== undefined,
  };
}

export interface BenchServer {
  port: number;
  /** Sockets connected to this server now. */
  sockets(): number;
  close(): Promise<void>;
}

export function runServer(start: () => Promise<BenchServer>): void {
  start()
    .then(server => {
      let cpuMark = process.cpuUsage();
      onCommand(async message => {
        switch (message.kind) {
          case 'memory':
            report({
              kind: 'memory',
              sockets: server.sockets(),
              ...(await settledMemory()),
            });
            break;
          case 'cpu': {
            const cpuUs = cpuSince(cpuMark);
            cpuMark = process.cpuUsage();
            report({ kind: 'cpu', cpuUs, sockets: server.sockets() });
            break;
          }
          case 'exit':
            // The runner stops the server before the clients: no graceful close of 2,000 sockets.
            process.exit(0);
        }
      });
      report({ kind: 'ready', port: server.port, pid: process.pid });
    })
    .catch(fail);
}
