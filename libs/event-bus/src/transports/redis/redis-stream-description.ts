import type { Cluster, Redis } from 'ioredis';
import type {
  ConsumerInfo,
  StreamDescription,
} from '../../durable/stream-store.interface.js';

type Client = Redis | Cluster;

/** An XINFO reply (`[name, value, name, value…]`) as a map. */
function infoMap(raw: unknown[]): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < raw.length; i += 2)
    map.set(String(raw[i]), raw[i + 1]);
  return map;
}

/** XINFO on a stream that does not exist (yet, or trimmed away) fails: it has nothing. */
async function orEmpty<T>(call: Promise<T>, empty: T): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (/no such key/i.test(String((error as Error).message))) return empty;
    throw error;
  }
}

/**
 * A stream's length, dead letters, groups (lag, pending) and consumers, read with XLEN and
 * XINFO GROUPS / CONSUMERS: every group on the stream, whichever process created it. The keys
 * share the stream's hash tag, so each command goes to the stream's node on a cluster.
 */
export async function describeRedisStream(
  command: Client,
  stream: string,
  key: string,
  deadKey: string,
): Promise<StreamDescription> {
  const [length, deadLetters, rawGroups] = await Promise.all([
    command.call('XLEN', key),
    command.call('XLEN', deadKey),
    orEmpty(command.call('XINFO', 'GROUPS', key) as Promise<unknown[][]>, []),
  ]);
  const groups = await Promise.all(
    rawGroups.map(async raw => {
      const info = infoMap(raw);
      const group = String(info.get('name'));
      const lag = info.get('lag');
      const rawConsumers = await orEmpty(
        command.call('XINFO', 'CONSUMERS', key, group) as Promise<unknown[][]>,
        [],
      );
      const consumers: ConsumerInfo[] = rawConsumers.map(rawConsumer => {
        const consumer = infoMap(rawConsumer);
        return {
          name: String(consumer.get('name')),
          pending: Number(consumer.get('pending') ?? 0),
          idleMs: Number(consumer.get('idle') ?? 0),
        };
      });
      return {
        stream,
        group,
        pending: Number(info.get('pending') ?? 0),
        lag: lag === null || lag === undefined ? null : Number(lag),
        consumers,
      };
    }),
  );
  return {
    stream,
    length: Number(length),
    deadLetters: Number(deadLetters),
    groups,
  };
}
