/**
 * Shared by the microservices bench children: the event name, the client token,
 * the Redis address for Nest's Transport.REDIS, and the consumer side's counter
 * and command loop. The producer side reuses the fan-out publisher
 * (`runPublisher`: a window of concurrent emits).
 */
import { cpuSince, memory, now, onCommand, report } from '../lib/ipc.js';

/** The `@EventPattern` of both consumers and the pattern both producers emit: an exact name. */
export const EVENT_NAME = 'bench.event';
/** Injection token of the producer's ClientProxy (ClientsModule). */
export const CLIENT = 'BENCH_CLIENT';
/** Redis channel each side publishes to: the bus prefixes `eventbus:`, Transport.REDIS uses the pattern as is. */
export const CHANNELS = {
  ours: `eventbus:${EVENT_NAME}`,
  baseline: EVENT_NAME,
} as const;

/** `{ host, port }` of REDIS_URL, for Transport.REDIS options (which take no URL). */
export function redisHostPort(): { host: string; port: number } {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/**
 * ioredis options both Transport.REDIS ends get beyond host and port: none by
 * default (the built-in as a team configures it); with BUILTIN_AUTOPIPELINING=1,
 * `enableAutoPipelining: true`, as the bus' publisher connection has.
 */
export function builtinRedisOptions(): {
  host: string;
  port: number;
  enableAutoPipelining?: boolean;
} {
  return {
    ...redisHostPort(),
    ...(process.env.BUILTIN_AUTOPIPELINING === '1'
      ? { enableAutoPipelining: true }
      : {}),
  };
}

/**
 * Counts events reaching the `@EventPattern` handler and reports the time of
 * the last one of a phase. One increment and one comparison per event, the
 * same on both sides.
 */
export class HandledCounter {
  private count = 0;
  private target = -1;
  private phase = '';
  private strays = 0;
  private wireBytes = 0;
  private cpuAtArm: NodeJS.CpuUsage = process.cpuUsage();

  /** True until one message size was recorded. */
  needsSample = true;

  arm(phase: string, target: number): void {
    this.phase = phase;
    this.target = target;
    this.count = 0;
    this.cpuAtArm = process.cpuUsage();
  }

  /** Records the size of one message as it travelled (bytes of its JSON). */
  sample(bytes: number): void {
    this.wireBytes = bytes;
    this.needsSample = false;
  }

  /** One event reached the handler. */
  hit(): void {
    if (this.target < 0) {
      this.strays++;
      return;
    }
    if (++this.count === this.target) {
      const tLast = now();
      const cpuUs = cpuSince(this.cpuAtArm);
      this.target = -1;
      report({
        kind: 'done',
        phase: this.phase,
        count: this.count,
        tLast,
        cpuUs,
        strays: this.strays,
        wireBytes: this.wireBytes,
        ...memory(),
      });
    }
  }

  /** Where the current phase stands, for a timeout's error message. */
  progress(): { phase: string; count: number; target: number } {
    return { phase: this.phase, count: this.count, target: this.target };
  }
}

/**
 * Runs a consumer child: `start` starts the microservice (listening) and
 * returns its close function and, optionally, extra figures for a progress
 * report (the bus' dropped/failed counters). Commands: `expect`, `progress`, `exit`.
 */
export async function runConsumer(
  counter: HandledCounter,
  start: () => Promise<{
    close: () => Promise<void>;
    extra?: () => Record<string, unknown>;
  }>,
): Promise<void> {
  const { close, extra } = await start();
  onCommand(async message => {
    if (message.kind === 'expect') {
      counter.arm(String(message.phase), Number(message.count));
      report({ kind: 'armed', phase: message.phase });
    } else if (message.kind === 'progress') {
      report({ kind: 'progress', ...counter.progress(), ...extra?.() });
    } else if (message.kind === 'exit') {
      await Promise.race([
        close(),
        new Promise(resolve => setTimeout(resolve, 3000)),
      ]);
      process.exit(0);
    }
  });
  report({ kind: 'ready', ...memory() });
}
