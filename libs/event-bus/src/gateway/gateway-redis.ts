import { createShardedAdapter, RedisAdapter } from '@socket.io/redis-adapter';
import type { EventTransport } from '../interfaces/transport.interface.js';
import { socketIoAdapterKey } from '../transports/redis/redis-keys.util.js';
import { RedisTransport } from '../transports/redis/redis.transport.js';
import { closeClient } from '../transports/redis/redis-client.factory.js';
import { RedisPresenceStore } from '../transports/redis/redis-presence.store.js';
import { RedisRoomPresenceStore } from '../transports/redis/redis-room-presence.store.js';
import { RedisUserRoomsStore } from '../transports/redis/redis-user-rooms.store.js';

type RedisClient = ReturnType<RedisTransport['createClient']>;

/** A socket.io adapter constructor, as `server.adapter()` takes it. */
type AdapterConstructor = (nsp: unknown) => RedisAdapter | ShardedAdapter;

/** The sharded adapter's class, which the package does not export. */
type ShardedAdapter = ReturnType<ReturnType<typeof createShardedAdapter>>;

/**
 * `RedisAdapter` that leaves its connections to their owner on close.
 * NOTE: RedisAdapter.close() sends UNSUBSCRIBEs without awaiting them: on a
 * subscriber that is down (or already quit) they reject unhandled and crash
 * the process. Quitting the subscriber, which GatewayRedis does next, ends
 * every subscription anyway.
 */
class GatewayRedisAdapter extends RedisAdapter {
  override close(): void {
    if ((this.subClient as RedisClient).status === 'ready') super.close();
  }
}

/**
 * The gateway's own Redis connections, when the bus runs on Redis: one for
 * commands (presence, and the socket.io adapter's publishes) and the adapter's
 * subscriber. The one place that decides whether the gateway works on Redis.
 */
export class GatewayRedis {
  private readonly clients: RedisClient[] = [];
  private readonly commands: RedisClient;
  private quitting?: Promise<void>;

  private constructor(
    private readonly transport: RedisTransport,
    private readonly channelPrefix: string,
  ) {
    this.commands = this.client('gateway');
  }

  /** The connections for `transport`; undefined when it is not Redis (one instance, memory). */
  static of(
    transport: EventTransport,
    channelPrefix: string | undefined,
  ): GatewayRedis | undefined {
    return transport instanceof RedisTransport
      ? new GatewayRedis(transport, channelPrefix ?? '')
      : undefined;
  }

  presenceStore(): RedisPresenceStore {
    return new RedisPresenceStore(this.commands, this.channelPrefix);
  }

  roomPresenceStore(): RedisRoomPresenceStore {
    return new RedisRoomPresenceStore(this.commands, this.channelPrefix);
  }

  userRoomsStore(): RedisUserRoomsStore {
    return new RedisUserRoomsStore(this.commands, this.channelPrefix);
  }

  /**
   * `@socket.io/redis-adapter` over these connections, linking the instances'
   * servers: its sharded adapter (SPUBLISH / SSUBSCRIBE, one channel per
   * namespace and per room) when the bus runs on sharded pub/sub
   * (`redis.cluster.shardedPubSub: true`), the classic one otherwise.
   */
  socketIoAdapter(): AdapterConstructor {
    const sub = this.client('gateway-sub');
    const key = socketIoAdapterKey(this.channelPrefix);
    const commands = this.commands;
    if (this.transport.shardedPubSub === true)
      return shardedAdapter(commands, sub, key);
    // socket.io calls it with `new`: a function, not an arrow.
    return function (nsp: unknown) {
      return new GatewayRedisAdapter(nsp, commands, sub, { key });
    };
  }

  /** How many of the connections are not ready. */
  notReady(): number {
    return this.clients.filter(client => client.status !== 'ready').length;
  }

  /** Closes every connection (once; later calls wait for the first). */
  quit(): Promise<void> {
    this.quitting ??= Promise.all(
      this.clients.map(client => closeClient(client)),
    ).then(() => undefined);
    return this.quitting;
  }

  private client(role: 'gateway' | 'gateway-sub'): RedisClient {
    const client = this.transport.createClient(role);
    void client.connect().catch(() => undefined);
    this.clients.push(client);
    return client;
  }
}

/**
 * The sharded adapter, in socket.io's default `dynamic` mode: a room's
 * broadcasts (typing signals, room presence) travel on that room's shard
 * channel, which only the instances holding the room subscribe to, so rooms
 * spread over the masters.
 */
function shardedAdapter(
  commands: RedisClient,
  sub: RedisClient,
  key: string,
): AdapterConstructor {
  const create = createShardedAdapter(commands, sub, { channelPrefix: key });
  return function (nsp: unknown) {
    const adapter = create(nsp);
    // NOTE: as GatewayRedisAdapter: close() SUNSUBSCRIBEs without awaiting; on a subscriber
    // that is down they reject unhandled. Quitting the subscriber ends them anyway.
    const close = adapter.close.bind(adapter);
    adapter.close = () => {
      if (sub.status !== 'ready') return;
      return Promise.resolve(close()).catch(() => undefined);
    };
    return adapter;
  };
}
