import {
  Cluster,
  Redis,
  type ClusterOptions,
  type RedisOptions,
} from 'ioredis';
import { BehaviorSubject } from 'rxjs';
import { EventBusUnavailableError } from '../../errors/event-bus-unavailable.error.js';
import type { EventBusConfig } from '../../event-bus.config.js';
import { EventBusLogger } from '../../event-bus.logger.js';
import { messages } from '../../event-bus.messages.js';
import type { ConnectionHealth } from '../../interfaces/stats.interface.js';
import type {
  EventTransport,
  TransportSink,
  TransportStatus,
} from '../../interfaces/transport.interface.js';
import {
  isExactPattern,
  isInternalRoute,
} from '../../matching/pattern-matcher.js';
import { RedisStreamStore } from '../../durable/redis-stream.store.js';
import type { StreamStore } from '../../durable/stream-store.interface.js';
import type { ResolvedDurableOptions } from '../../event-bus.config.js';
import { fanOutControlChannel, redisKeys } from './redis-keys.util.js';
import { PublishBatcher } from './publish-batcher.js';
import { RedisRoomHistory } from '../../rooms/redis-room-history.js';
import type {
  ResolvedRoomHistoryOptions,
  RoomHistoryStore,
} from '../../rooms/room-history.interface.js';
import { within } from '../../within.util.js';
import { backoffDelay } from '../../delivery/retry-policy.js';

/** 100 ms, 200 ms, … up to 2 s, with equal jitter. */
const RECONNECT_BACKOFF = {
  initialDelay: 100,
  multiplier: 2,
  maxDelay: 2000,
  jitter: 'equal',
} as const;

const TIMED_OUT = Symbol('timed out');

type RedisConfig = NonNullable<EventBusConfig['redis']>;

/** One Redis (standalone or Sentinel) or a Redis Cluster client; both speak the same commands. */
type RedisClient = Redis | Cluster;

/**
 * What a connection is for: the bus' publisher and subscriber, a durable
 * stream reader, or the gateway's commands and socket.io adapter subscriber.
 */
export type RedisClientRole =
  'pub' | 'sub' | 'stream' | 'gateway' | 'gateway-sub';

/** How long PUBLISH of a type must have reached nobody before the type counts as unheard. */
const UNHEARD_AFTER_MS = 1000;
/** While a type is unheard, one real PUBLISH per interval checks whether someone listens now. */
const UNHEARD_PROBE_MS = 250;
/** While a type is heard, the receiver count of one PUBLISH per interval is looked at (not every reply: it costs a `then`). */
const AUDIENCE_SAMPLE_MS = 100;
/** Types whose audience is tracked at most (a bound on memory; past it the tracking starts over). */
const MAX_TRACKED_TYPES = 10_000;
const SKIPPED = Promise.resolve(0);

/** What the sampled PUBLISH replies of one type said about its audience. */
interface Audience {
  /** When the next reply is to be looked at. */
  sampleAt: number;
  /** Since when the sampled replies counted no receiver. */
  silentSince?: number;
  /** Set while the type is unheard: PUBLISH is skipped until then, and one probe goes out. */
  probeAt?: number;
}

/** Longest a subscribe() waits for its announcement to come back. */
const ANNOUNCE_TIMEOUT_MS = 500;

/**
 * Fan-out over Redis pub/sub. One publisher and one subscriber connection per
 * process; one SUBSCRIBE per exact type or `#` route and one PSUBSCRIBE per
 * distinct glob. Redis sends a message once per subscription it matches; the
 * sink gets it once. Resubscribes by itself after reconnecting.
 *
 * On Redis Cluster (`redis.cluster`) both are ioredis `Cluster` clients and the
 * same plain pub/sub is used: Redis Cluster forwards every PUBLISH to all nodes
 * over its bus, so the subscriber may sit on any node (no sharded pub/sub,
 * whose SSUBSCRIBE cannot take patterns).
 *
 * @publicApi
 */
export class RedisTransport implements EventTransport {
  readonly kind = 'redis' as const;
  private readonly status = new BehaviorSubject<TransportStatus>(
    'disconnected',
  );
  readonly status$ = this.status.asObservable();
  private readonly prefix: string;
  /** Exact subscriptions: event types and `#` routes. */
  private readonly exact = new Set<string>();
  /** PSUBSCRIBE glob → the patterns it stands for (several may share one). */
  private readonly globs = new Map<string, Set<string>>();
  private sink: TransportSink = () => undefined;
  /** The last message handed to the sink, and the subscriptions it came through (see `deliver`). */
  private last?: { channel: string; payload: string; via: Set<string> };
  /** Internal channels (durable registry changes), outside the event namespace. */
  private readonly control = new Map<string, (message: string) => void>();
  /** What PUBLISH replies said of each type's audience (see `skipUnheardPublishes`). */
  private readonly audiences = new Map<string, Audience>();
  private readonly skipUnheard: boolean;
  /** Announcements of our own subscriptions waiting for their echo, by token. */
  private readonly announcing = new Map<string, () => void>();
  private announcements = 0;
  private pub?: RedisClient;
  private sub?: RedisClient;
  /** Sends the PUBLISHes of a tick as one script call (see `batchPublishes`); none on Cluster. */
  private batcher?: PublishBatcher;
  /** Publishes admitted while a connection is down whose commands have not settled, and their bytes. */
  private buffered = 0;
  private bufferedBytes = 0;
  private readyCount = 0;
  private closed = false;
  private readonly logger: EventBusLogger;

  constructor(
    private readonly config: RedisConfig,
    private readonly serviceName: string,
    logLevel: EventBusConfig['logLevel'] = 'log',
  ) {
    this.prefix = config.channelPrefix;
    this.logger = new EventBusLogger('EventBus:redis', logLevel);
    // NOTE: on Cluster a PUBLISH reply counts the subscribers of one node only, so "nobody" is unknowable.
    this.skipUnheard = config.skipUnheardPublishes !== false && !config.cluster;
    // Some bus subscribed to something: every type may have an audience again.
    if (!config.cluster) {
      this.control.set(fanOutControlChannel(this.prefix), token => {
        this.audiences.clear();
        this.announcing.get(token)?.();
      });
    }
  }

  /**
   * Times the subscriber connection was lost after it had been ready: each
   * loss drops the events published until it has subscribed again.
   */
  subscriberLosses = 0;
  private subscriberReady = false;
  /** Times the publisher connection closed: tells a cut subscriber from a Redis that went away. */
  private publisherCloses = 0;

  /** Reconnections since start (every `ready` after the first of each connection). */
  get reconnects(): number {
    return Math.max(0, this.readyCount - 2);
  }

  async connect(): Promise<void> {
    this.pub = this.createClient('pub');
    this.sub = this.createClient('sub');
    // NOTE: on Cluster a script runs on one node; plain PUBLISH is left to ioredis' per-node pipelines.
    if (this.config.batchPublishes !== false && this.pub instanceof Redis) {
      this.batcher = new PublishBatcher(this.pub, reason =>
        this.logger.warn(
          `Redis refused the publish batching script (${reason}): publishing one PUBLISH per event from now on. Allow EVAL for this user, or set redis.batchPublishes: false to silence this.`,
        ),
      );
    }
    this.sub.on('message', this.getMessageHandler());
    this.sub.on('pmessage', this.getPatternMessageHandler());
    this.sub.on('ready', () => {
      this.subscriberReady = true;
      void this.resubscribe();
    });
    this.sub.on('close', () => this.subscriberClosed());
    this.pub.on('close', () => this.publisherCloses++);
    this.status.next('connecting');
    await Promise.all([this.pub.connect(), this.sub.connect()]);
  }

  async close(): Promise<void> {
    this.closed = true;
    // What was published this tick goes out before QUIT: ioredis sends QUIT at once, but
    // auto-pipelined commands only when the loop turns (setImmediate), so let it turn once.
    this.batcher?.flush();
    await new Promise(resolve => setImmediate(resolve));
    await Promise.all(
      [this.sub, this.pub].map(async client => {
        if (!client) return;
        try {
          await client.quit();
        } catch {
          client.disconnect();
        }
      }),
    );
    this.status.next('closed');
    this.status.complete();
  }

  isConnected(): boolean {
    return this.pub?.status === 'ready' && this.sub?.status === 'ready';
  }

  /**
   * Bounds what waits while Redis is unreachable: up to `maxBufferedPublishes`
   * publishes and `maxBufferedBytes` of payload, counted once per publish over
   * every command it sends (PUBLISH, durable XADD, room history). Both
   * connections must be ready to skip it: when one notices an outage first,
   * the other's socket is as good as dead.
   */
  admit(payload: string): (() => void) | undefined {
    if (this.pub?.status === 'ready' && this.sub?.status === 'ready')
      return undefined;
    this.unwrap();
    const bytes = Buffer.byteLength(payload);
    const { maxBufferedPublishes, maxBufferedBytes } = this.config;
    if (
      this.buffered >= maxBufferedPublishes ||
      this.bufferedBytes + bytes > maxBufferedBytes
    ) {
      throw new EventBusUnavailableError(
        messages.publishBufferFull(
          this.buffered,
          this.bufferedBytes,
          maxBufferedPublishes,
          maxBufferedBytes,
        ),
      );
    }
    this.buffered++;
    this.bufferedBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.buffered--;
      this.bufferedBytes -= bytes;
    };
  }

  /**
   * Publishes one payload. While Redis is unreachable it waits in ioredis'
   * offline queue, within what `admit` let through.
   */
  publish(route: string, payload: string): Promise<unknown> {
    const pub = this.pub;
    // NOTE: the hot path hands back ioredis' own promise: no async wrapper, no extra tick.
    if (pub?.status === 'ready' && this.sub?.status === 'ready') {
      const channel = redisKeys.channel(this.prefix, route);
      if (!this.skipUnheard) return this.send(pub, channel, payload);
      const now = Date.now();
      const audience = this.audiences.get(route);
      if (audience === undefined) {
        if (this.audiences.size >= MAX_TRACKED_TYPES) this.audiences.clear();
        this.audiences.set(route, { sampleAt: now + AUDIENCE_SAMPLE_MS });
      } else if (audience.probeAt !== undefined) {
        if (now < audience.probeAt) return SKIPPED;
        audience.probeAt = now + UNHEARD_PROBE_MS;
      } else if (now < audience.sampleAt) {
        return this.send(pub, channel, payload);
      } else {
        audience.sampleAt = now + AUDIENCE_SAMPLE_MS;
      }
      return this.send(pub, channel, payload).then(receivers =>
        this.noteAudience(route, receivers),
      );
    }
    return this.unwrap().publish(
      redisKeys.channel(this.prefix, route),
      payload,
    );
  }

  /** PUBLISH on a ready connection: batched with the rest of the tick when batching is on. */
  private send(
    pub: RedisClient,
    channel: string,
    payload: string,
  ): Promise<number> {
    return this.batcher
      ? this.batcher.publish(channel, payload)
      : pub.publish(channel, payload);
  }

  /** Follows whether PUBLISH of `type` reaches anyone; a type nobody heard for UNHEARD_AFTER_MS is skipped. */
  private noteAudience(type: string, receivers: number): number {
    const audience = this.audiences.get(type);
    if (audience === undefined) return receivers;
    if (receivers > 0) {
      audience.silentSince = undefined;
      audience.probeAt = undefined;
      return receivers;
    }
    const now = Date.now();
    audience.silentSince ??= now;
    if (
      audience.probeAt === undefined &&
      now - audience.silentSince >= UNHEARD_AFTER_MS
    ) {
      audience.probeAt = now + UNHEARD_PROBE_MS;
      this.logger.debug(
        `Nobody has listened to "${type}" for ${UNHEARD_AFTER_MS} ms: skipping its PUBLISH until someone subscribes.`,
      );
    }
    return receivers;
  }

  /**
   * Tells every bus on this Redis that a new fan-out subscription exists, so
   * none skips its types any longer. Resolves once our own subscriber heard the
   * announcement (Redis has then handed it to every bus) and the event loop has
   * read what else arrived with it, or after ANNOUNCE_TIMEOUT_MS.
   */
  private announceSubscription(): Promise<void> {
    // On Cluster nobody skips (see skipUnheard), so there is nobody to tell.
    if (this.config.cluster) return Promise.resolve();
    const token = `${process.pid}:${++this.announcements}`;
    return new Promise<void>(resolve => {
      const done = (): void => {
        clearTimeout(timer);
        this.announcing.delete(token);
        // Two turns of the loop: one more poll phase reads the other connections' copies.
        setImmediate(() => setImmediate(resolve));
      };
      const timer = setTimeout(done, ANNOUNCE_TIMEOUT_MS);
      this.announcing.set(token, done);
      this.unwrap()
        .publish(fanOutControlChannel(this.prefix), token)
        .catch(done);
    });
  }

  setSink(sink: TransportSink): void {
    this.sink = sink;
  }

  async subscribe(pattern: string): Promise<void> {
    const sub = this.unwrap('sub');
    if (isInternalRoute(pattern) || isExactPattern(pattern)) {
      const isNew = !this.exact.has(pattern);
      this.exact.add(pattern);
      if (isNew && sub.status === 'ready') {
        await sub.subscribe(redisKeys.channel(this.prefix, pattern));
        await this.announceSubscription();
      }
      return;
    }
    const glob = redisKeys.glob(this.prefix, pattern);
    let patterns = this.globs.get(glob);
    const isNew = !patterns;
    if (!patterns) this.globs.set(glob, (patterns = new Set()));
    patterns.add(pattern);
    // NOTE: when not ready, the `ready` handler subscribes everything in the maps.
    if (isNew && sub.status === 'ready') {
      await sub.psubscribe(glob);
      await this.announceSubscription();
    }
  }

  async unsubscribe(pattern: string): Promise<void> {
    const sub = this.unwrap('sub');
    if (isInternalRoute(pattern) || isExactPattern(pattern)) {
      if (!this.exact.delete(pattern)) return;
      if (sub.status === 'ready')
        await sub.unsubscribe(redisKeys.channel(this.prefix, pattern));
      return;
    }
    const glob = redisKeys.glob(this.prefix, pattern);
    const patterns = this.globs.get(glob);
    if (!patterns?.delete(pattern) || patterns.size > 0) return;
    this.globs.delete(glob);
    if (sub.status === 'ready') await sub.punsubscribe(glob);
  }

  /**
   * Pings the publisher and the subscriber; on Redis Cluster also every master
   * of the slot table, through the publisher's connection to it: fan-out
   * survives a lost master (PUBLISH goes to any node), but the cluster, and
   * anything keyed such as durable streams, does not.
   */
  async ping(timeoutMs: number): Promise<ConnectionHealth[]> {
    const checks = [
      pingClient('redis:publisher', this.pub, timeoutMs),
      pingClient('redis:subscriber', this.sub, timeoutMs),
    ];
    if (this.pub instanceof Cluster && this.pub.status === 'ready') {
      checks.push(...pingMasters(this.pub, timeoutMs));
    }
    return Promise.all(checks);
  }

  /**
   * Durable storage on this Redis: commands share the publisher connection (so
   * XADD pipelines with PUBLISH); each blocking reader gets its own connection.
   */
  createStreamStore(options: ResolvedDurableOptions): StreamStore {
    return new RedisStreamStore({
      prefix: this.prefix,
      trim: options.trim,
      deadLetterMaxLength: options.deadLetterMaxLength,
      command: this.unwrap(),
      createReader: () => {
        const reader = this.createClient('stream');
        void reader.connect().catch(() => undefined);
        return reader;
      },
      subscribeControl: async (channel, listener) => {
        this.control.set(channel, listener);
        const sub = this.unwrap('sub');
        if (sub.status !== 'ready') return;
        // NOTE: the caller does not wait for this; a refusal (ACL) must not become an unhandled rejection.
        await sub
          .subscribe(channel)
          .catch((error: Error) =>
            this.logger.warn(
              `Could not subscribe to the control channel "${channel}": ${error.message}. Durable patterns that other instances register are not announced to this one. Allow the channel for this Redis user (ACL "&${channel}").`,
            ),
          );
      },
    });
  }

  /** Room history on this Redis, on the publisher connection (XADD pipelines with PUBLISH). */
  createRoomHistory(options: ResolvedRoomHistoryOptions): RoomHistoryStore {
    return new RedisRoomHistory(this.unwrap(), this.prefix, options);
  }

  /**
   * Builds an ioredis client, with our retry and naming: a `Redis` from the URL
   * and options, or a `Cluster` from `redis.cluster`.
   */
  createClient(role: RedisClientRole): RedisClient {
    const connectionName = `${this.serviceName}:event-bus:${role}`;
    let client: RedisClient;
    if (this.config.cluster) {
      const { nodes, options: clusterOptions } = this.config.cluster;
      const options: ClusterOptions = {
        clusterRetryStrategy: this.createRetryStrategy(),
        // NOTE: ioredis 6 documents 5000 but applies none, and keyless PUBLISH never
        // gets a MOVED, so without it a restarted or promoted master is never seen again.
        slotsRefreshInterval: 5000,
        ...clusterOptions,
        lazyConnect: true,
        enableAutoPipelining: role === 'pub' || role === 'gateway',
        redisOptions: {
          connectionName,
          maxRetriesPerRequest: this.config.maxRetriesPerRequest,
          ...clusterOptions?.redisOptions,
          // NOTE: node connections default to lazy; an idle lazy one never notices its node
          // is gone, so the Cluster stays 'ready' through a full outage while its subscriber
          // retries node after node in a tight loop. Connected ones end, and the Cluster
          // turns 'reconnecting' at once and backs off.
          lazyConnect: false,
        },
      };
      // NOTE: no autoResubscribe to turn off: the Cluster's subscriber connection never
      // reconnects itself; ioredis moves it to another node with its channels, and after
      // a full reconnect our `ready` handler subscribes again (SUBSCRIBE is idempotent).
      client = new Cluster(nodes, options);
    } else {
      const options: RedisOptions = {
        connectionName,
        retryStrategy: this.createRetryStrategy(),
        maxRetriesPerRequest: this.config.maxRetriesPerRequest,
        ...this.config.options,
        lazyConnect: true,
        // NOTE: we resubscribe ourselves on `ready`, so patterns added while down are included.
        // The socket.io adapter's subscriber relies on ioredis doing it.
        autoResubscribe: role === 'gateway-sub',
        enableAutoPipelining: role === 'pub' || role === 'gateway',
      };
      client = this.config.url
        ? new Redis(this.config.url, options)
        : new Redis(options);
    }
    let reported = false;
    const onError = (error: Error, node?: string) => {
      const where = node
        ? `${role} connection to cluster node ${node}`
        : `${role} connection`;
      // One warning per outage; the rest at debug level, so a long outage does not flood the log.
      if (!reported)
        this.logger.warn(
          `Redis ${where} error: ${error.message}. Reconnecting with backoff.`,
        );
      else this.logger.debug(`Redis ${where} error: ${error.message}`);
      reported = true;
    };
    client.on('error', (error: Error) => onError(error));
    // A Cluster reports a failing node here and keeps `error` for "no node reachable".
    client.on('node error', (error: Error, node: string) =>
      onError(error, node),
    );
    client.on('ready', () => {
      if (reported) this.logger.log(`Redis ${role} connection is back.`);
      reported = false;
      if (role === 'pub' || role === 'sub') this.readyCount++;
      this.updateStatus();
    });
    client.on('reconnecting', () => this.updateStatus());
    client.on('close', () => this.updateStatus());
    return client;
  }

  /** Exponential backoff from 50 ms to 2 s with jitter; never gives up while open. */
  createRetryStrategy(): (times: number) => number | null {
    return times => {
      if (this.closed) return null;
      return backoffDelay(RECONNECT_BACKOFF, times);
    };
  }

  getMessageHandler(): (channel: string, message: string) => void {
    return (channel, message) => {
      const controlListener = this.control.get(channel);
      if (controlListener) {
        controlListener(message);
        return;
      }
      const route = redisKeys.routeOf(this.prefix, channel);
      if (route !== undefined && this.exact.has(route))
        this.deliver(route, message, channel, '');
    };
  }

  getPatternMessageHandler(): (
    glob: string,
    channel: string,
    message: string,
  ) => void {
    return (glob, channel, message) => {
      const type = redisKeys.typeOf(this.prefix, channel);
      if (type !== undefined && this.globs.has(glob))
        this.deliver(type, message, channel, glob);
    };
  }

  /**
   * Hands a message to the sink once. Redis sends one copy per subscription
   * that matches (the SUBSCRIBE's, then each PSUBSCRIBE's), one after the
   * other: a copy is the same channel and bytes as the last message, through a
   * subscription that message has not come through yet. (`via` is `''` for the
   * exact subscription, else the glob.)
   */
  private deliver(
    route: string,
    payload: string,
    channel: string,
    via: string,
  ): void {
    const last = this.last;
    if (
      last !== undefined &&
      !last.via.has(via) &&
      last.channel === channel &&
      last.payload === payload
    ) {
      last.via.add(via);
      return;
    }
    this.last = { channel, payload, via: new Set([via]) };
    this.sink(route, payload, channel);
  }

  /**
   * The subscriber went away. With the publisher still connected, Redis is up
   * and cut this one: almost always for `client-output-buffer-limit pubsub`,
   * because this process read events slower than they came.
   */
  private subscriberClosed(): void {
    if (this.closed || !this.subscriberReady) return;
    this.subscriberReady = false;
    this.subscriberLosses++;
    const pub = this.pub;
    if (pub?.status !== 'ready') return;
    // NOTE: when Redis itself went away, the publisher may not have noticed yet. A PING answered
    // by the same connection (it did not close meanwhile) shows Redis up: then it cut the subscriber.
    const closes = this.publisherCloses;
    void within(pub.ping(), 2000).then(
      reply => {
        if (reply === 'PONG' && this.publisherCloses === closes && !this.closed)
          this.warnSubscriberCut();
      },
      () => undefined,
    );
  }

  private warnSubscriberCut(): void {
    this.logger.limited(
      'subscriber cut',
      'warn',
      'Redis closed the subscriber connection while the publisher stayed connected: most likely this process read events slower than they were published and Redis cut it at its client-output-buffer-limit for pub/sub (32 MB by default). Events published until it has subscribed again are lost to this process (fan-out is at-most-once; see eventbus_transport_subscriber_losses_total). Make handlers faster or give them more concurrency, use durable handlers for events that must not be lost, or raise "client-output-buffer-limit pubsub" in redis.conf. Reconnecting.',
    );
  }

  private async resubscribe(): Promise<void> {
    const sub = this.sub;
    if (!sub || this.closed) return;
    // Announcements made while this connection was down were missed.
    this.audiences.clear();
    try {
      const channels = [...this.exact.keys()].map(type =>
        redisKeys.channel(this.prefix, type),
      );
      channels.push(...this.control.keys());
      const globs = [...this.globs.keys()];
      if (channels.length) await sub.subscribe(...channels);
      if (globs.length) await sub.psubscribe(...globs);
      if (this.exact.size + globs.length > 0) void this.announceSubscription();
      if (channels.length + globs.length > 0) {
        this.logger.debug(
          `Subscribed to ${channels.length} channels and ${globs.length} patterns.`,
        );
      }
    } catch (error) {
      this.logger.warn(
        `Resubscribing after reconnect failed: ${(error as Error).message}. Will retry on the next reconnect.`,
      );
    }
  }

  private updateStatus(): void {
    if (this.closed) return;
    const next: TransportStatus = this.isConnected()
      ? 'ready'
      : this.readyCount > 0
        ? 'reconnecting'
        : 'connecting';
    if (this.status.value !== next) this.status.next(next);
  }

  private unwrap(role: 'pub' | 'sub' = 'pub'): RedisClient {
    if (this.closed) throw new EventBusUnavailableError(messages.closed());
    const client = role === 'pub' ? this.pub : this.sub;
    if (!client) {
      throw new EventBusUnavailableError(
        'The Redis transport is not connected yet: EventBusService connects in onModuleInit; call publish() after the application has initialised (app.init() or app.listen()).',
      );
    }
    return client;
  }
}

/** Pings every master that serves slots, on the Cluster's connection to it. */
function pingMasters(
  cluster: Cluster,
  timeoutMs: number,
): Array<Promise<ConnectionHealth>> {
  const masters = new Set(cluster.slots.filter(Boolean).map(keys => keys[0]));
  const connections = new Map(
    cluster
      .nodes('master')
      .map(node => [`${node.options.host}:${node.options.port}`, node]),
  );
  return [...masters].sort().map(key => {
    const name = `redis:master ${key}`;
    const node = connections.get(key);
    if (!node) {
      // ioredis drops a node's connection when it ends and waits for a slot refresh to learn what replaced it.
      return Promise.resolve({
        name,
        status: 'down' as const,
        error: 'connection lost; waiting for failover or restart',
      });
    }
    return pingClient(name, node, timeoutMs, false);
  });
}

async function pingClient(
  name: string,
  client: RedisClient | undefined,
  timeoutMs: number,
  requireReady = true,
): Promise<ConnectionHealth> {
  // A Cluster node connection may be mid-connect after a slot refresh: the ping itself tells.
  if (!client || (requireReady && client.status !== 'ready')) {
    return {
      name,
      status: 'down',
      error: `connection is ${client?.status ?? 'not created'}`,
    };
  }
  const started = performance.now();
  try {
    if ((await within(client.ping(), timeoutMs, TIMED_OUT)) === TIMED_OUT) {
      return {
        name,
        status: 'down',
        error: `timeout of ${timeoutMs}ms exceeded`,
      };
    }
    return {
      name,
      status: 'up',
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
    };
  } catch (error) {
    return { name, status: 'down', error: (error as Error).message };
  }
}
