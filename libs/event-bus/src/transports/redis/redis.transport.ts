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
import { isExactPattern } from '../../matching/pattern-matcher.js';
import type { StreamStore } from '../../durable/stream-store.interface.js';
import type { ResolvedDurableOptions } from '../../event-bus.config.js';
import type {
  ResolvedRoomHistoryOptions,
  RoomHistoryStore,
} from '../../rooms/room-history.interface.js';
import { within } from '../../within.util.js';
import { AudienceTracker, SKIPPED } from './audience-tracker.js';
import { isFrame, readFrame } from './event-frame.js';
import { FramePublisher } from './frame-publisher.js';
import { OutageBuffer } from './outage-buffer.js';
import { PublishBatcher } from './publish-batcher.js';
import {
  assertShardedSubscribers,
  closeClient,
  RedisClientFactory,
  type IoRedis,
  type RedisClient,
  type RedisClientRole,
  type RedisConfig,
} from './redis-client.factory.js';
import { pingClient, pingMasters } from './redis-health.js';
import { fanOutControlChannel, redisKeys } from './redis-keys.util.js';
import { RedisRoomHistory } from './redis-room-history.js';
import { RedisScheduleStore } from './redis-schedule.store.js';
import { RedisStreamStore } from './redis-stream.store.js';
import type { ScheduleStore } from '../../scheduling/schedule-store.interface.js';
import {
  shardedPubSubPlan,
  type ShardedPubSubMode,
  type ShardedPubSubPlan,
} from './shard-channels.js';
import { ShardedFanOut } from './sharded-fanout.js';
import { ClusterPublishNode } from './cluster-publish-node.js';

export type { RedisClientRole } from './redis-client.factory.js';

/**
 * Fan-out over Redis pub/sub. One publisher and one subscriber connection per
 * process; one SUBSCRIBE per exact type or `#` route and one PSUBSCRIBE per
 * distinct glob. Redis sends a message once per subscription it matches; the
 * sink gets it once. Resubscribes by itself after reconnecting.
 *
 * On Redis Cluster (`redis.cluster`) both are ioredis `Cluster` clients. By
 * default the same plain pub/sub is used: Redis Cluster forwards every PUBLISH
 * to all nodes over its bus, so the subscriber may sit on any node. With
 * `redis.cluster.shardedPubSub` events travel on Redis 7 shard channels
 * instead, one per first segment (see ShardedFanOut), and the subscriber holds
 * a connection to each master.
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
  /** Skips the PUBLISH of types nobody hears, and announces our subscriptions; none on Cluster. */
  private readonly audience?: AudienceTracker;
  private readonly clients: RedisClientFactory;
  private pub?: RedisClient;
  private sub?: RedisClient;
  /** Sends the PUBLISHes of a tick as one script call (see `batchPublishes`); none on Cluster. */
  private batcher?: PublishBatcher;
  /** Collects the events of each channel into frames (`redis.frames`); none when off. */
  private frames?: FramePublisher;
  /** The master plain PUBLISHes go through on Cluster (see ClusterPublishNode); none otherwise. */
  private clusterNode?: ClusterPublishNode;
  /** Fan-out on shard channels (`redis.cluster.shardedPubSub`); none otherwise. */
  private readonly sharded?: ShardedFanOut;
  /** Which pub/sub kinds this transport publishes and listens with. */
  readonly plan: ShardedPubSubPlan;
  /** `redis.cluster.shardedPubSub` as configured (false when not on Cluster). */
  readonly shardedPubSub: ShardedPubSubMode;
  /** What may wait while a connection is down (see `admit`). */
  private readonly outage: OutageBuffer;
  private readyCount = 0;
  private closed = false;
  private readonly logger: EventBusLogger;

  /**
   * @param ioredis the ioredis package, loaded by `createTransport` (an optional peer)
   */
  constructor(
    private readonly ioredis: IoRedis,
    private readonly config: RedisConfig,
    serviceName: string,
    logLevel: EventBusConfig['logLevel'] = 'log',
  ) {
    this.prefix = config.channelPrefix;
    this.logger = new EventBusLogger('EventBus:redis', logLevel);
    this.outage = new OutageBuffer(
      config.maxBufferedPublishes,
      config.maxBufferedBytes,
    );
    this.clients = new RedisClientFactory({
      ioredis,
      config,
      serviceName,
      logger: this.logger,
      isClosed: () => this.closed,
      onStateChange: (role, ready) => {
        if (ready && (role === 'pub' || role === 'sub')) this.readyCount++;
        this.updateStatus();
      },
    });
    this.shardedPubSub =
      (config.cluster && config.cluster.shardedPubSub) ?? false;
    this.plan = shardedPubSubPlan(this.shardedPubSub);
    if (this.plan.listenSharded || this.plan.publishSharded) {
      assertShardedSubscribers(ioredis);
      const sharded = new ShardedFanOut({
        prefix: this.prefix,
        command: () => this.unwrap(),
        subscriber: () => this.unwrap('sub'),
        deliver: (route, payload, channel, problem) =>
          this.sink(route, payload, channel, problem),
        logger: this.logger,
      });
      this.sharded = sharded;
      if (this.plan.listenSharded)
        this.control.set(sharded.controlChannel, shard =>
          sharded.announced(shard),
        );
      // NOTE: chosen once here, so the classic publish path gains no test per event.
      if (this.plan.publishSharded)
        this.publish = (route, payload) => this.publishToShard(route, payload);
    }
    // NOTE: on Cluster a PUBLISH reply counts the subscribers of one node only, so "nobody" is unknowable.
    // On Cluster nobody skips, so there is nobody to tell of our subscriptions either.
    if (!config.cluster) {
      const channel = fanOutControlChannel(this.prefix);
      const audience = new AudienceTracker(
        config.skipUnheardPublishes !== false,
        token => this.unwrap().publish(channel, token),
        this.logger,
      );
      this.audience = audience;
      // Some bus subscribed to something: every type may have an audience again.
      this.control.set(channel, token => audience.heard(token));
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
    // Plain PUBLISHes on Cluster leave through one master, so a publisher's events keep their order.
    if (this.pub instanceof this.ioredis.Cluster && !this.plan.publishSharded)
      this.clusterNode = new ClusterPublishNode(this.pub);
    // NOTE: on Cluster a script runs on one node; plain PUBLISH is left to ioredis' per-node pipelines.
    if (
      this.config.batchPublishes !== false &&
      this.pub instanceof this.ioredis.Redis
    ) {
      this.batcher = new PublishBatcher(this.pub, reason =>
        this.logger.warn(
          `Redis refused the publish batching script (${reason}): publishing one PUBLISH per event from now on. Allow EVAL for this user, or set redis.batchPublishes: false to silence this.`,
        ),
      );
    }
    const pub = this.pub;
    // NOTE: a frame is one PUBLISH: the batching script would only copy its bytes once more.
    if (this.config.frames)
      this.frames = new FramePublisher(
        this.config.frames,
        this.plan.publishSharded
          ? (channel, frame) => pub.spublish(channel, frame) as Promise<number>
          : (channel, frame) =>
              (this.clusterNode?.client() ?? pub).publish(channel, frame),
      );
    this.sub.on('message', this.getMessageHandler());
    const sharded = this.sharded;
    if (sharded && this.plan.listenSharded)
      this.sub.on('smessage', (channel: string, message: string) =>
        sharded.receive(channel, message),
      );
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
    // What was published this tick goes out before QUIT: open frames and the batch now, and
    // commands held in a corked socket or (Cluster) an auto-pipeline when the loop turns, so
    // let it turn once.
    this.frames?.flush();
    this.batcher?.flush();
    await new Promise(resolve => setImmediate(resolve));
    await Promise.all(
      [this.sub, this.pub].map(client => client && closeClient(client)),
    );
    this.status.next('closed');
    this.status.complete();
  }

  isConnected(): boolean {
    return this.pub?.status === 'ready' && this.sub?.status === 'ready';
  }

  /**
   * Bounds what waits while Redis is unreachable: up to `maxBufferedPublishes`
   * publishes and `maxBufferedBytes` of payload (see OutageBuffer). Both
   * connections must be ready to skip it: when one notices an outage first,
   * the other's socket is as good as dead.
   */
  admit(payload: string): (() => void) | undefined {
    if (this.pub?.status === 'ready' && this.sub?.status === 'ready')
      return undefined;
    this.unwrap();
    return this.outage.admit(payload);
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
      const audience = this.audience;
      if (!audience?.skipping) return this.send(pub, channel, payload);
      const verdict = audience.verdict(route);
      if (verdict === 'skip') return SKIPPED;
      if (verdict === 'send') return this.send(pub, channel, payload);
      return this.send(pub, channel, payload).then(receivers =>
        audience.noteAudience(route, receivers),
      );
    }
    const client = this.unwrap();
    // Frames still open would go out after this PUBLISH: send them first, so order holds.
    this.frames?.flush();
    return client.publish(redisKeys.channel(this.prefix, route), payload);
  }

  /** `publish` with `redis.cluster.shardedPubSub` publishing: SPUBLISH on the route's shard channel. */
  private publishToShard(route: string, payload: string): Promise<unknown> {
    const channel = this.sharded!.channelOf(route);
    const pub = this.pub;
    if (pub?.status === 'ready' && this.sub?.status === 'ready')
      return this.frames
        ? this.frames.publish(channel, payload)
        : pub.spublish(channel, payload);
    const client = this.unwrap();
    this.frames?.flush();
    return client.spublish(channel, payload);
  }

  /** PUBLISH on a ready connection: into its channel's frame, or batched with the rest of the tick. */
  private send(
    pub: RedisClient,
    channel: string,
    payload: string,
  ): Promise<number> {
    if (this.frames) return this.frames.publish(channel, payload);
    if (this.batcher) return this.batcher.publish(channel, payload);
    return (this.clusterNode?.client() ?? pub).publish(channel, payload);
  }

  /** Tells the other buses on this Redis that we subscribed (see AudienceTracker). */
  private announceSubscription(): Promise<void> {
    return this.audience?.announceSubscription() ?? Promise.resolve();
  }

  setSink(sink: TransportSink): void {
    this.sink = sink;
  }

  async subscribe(pattern: string): Promise<void> {
    if (this.sharded && this.plan.listenSharded) {
      this.unwrap('sub');
      await this.sharded.add(pattern);
    }
    if (this.plan.listenClassic) await this.subscribeClassic(pattern);
  }

  async unsubscribe(pattern: string): Promise<void> {
    if (this.sharded && this.plan.listenSharded) {
      this.unwrap('sub');
      await this.sharded.remove(pattern);
    }
    if (this.plan.listenClassic) await this.unsubscribeClassic(pattern);
  }

  private async subscribeClassic(pattern: string): Promise<void> {
    const sub = this.unwrap('sub');
    if (isExactPattern(pattern)) {
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

  private async unsubscribeClassic(pattern: string): Promise<void> {
    const sub = this.unwrap('sub');
    if (isExactPattern(pattern)) {
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
    if (
      this.pub instanceof this.ioredis.Cluster &&
      this.pub.status === 'ready'
    ) {
      checks.push(...pingMasters(this.pub, timeoutMs));
    }
    return Promise.all(checks);
  }

  /**
   * Durable storage on this Redis: commands share the publisher connection (so
   * XADD pipelines with PUBLISH); each blocking reader gets its own connection.
   */
  createScheduleStore(options: ResolvedDurableOptions): ScheduleStore {
    const sharded = this.plan.publishSharded ? this.sharded : undefined;
    return new RedisScheduleStore({
      prefix: this.prefix,
      trim: options.trim,
      command: this.unwrap(),
      // A moved event is fanned out as every other publish of this bus is: on its shard channel
      // (which carries the stream's hash tag, so the move script stays in one slot).
      ...(sharded && {
        fanOut: {
          command: 'SPUBLISH' as const,
          channel: (type: string) => sharded.channelOf(type),
        },
      }),
    });
  }

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
   * and options, or a `Cluster` from `redis.cluster`. The gateway builds its
   * presence and socket.io adapter connections with it.
   */
  createClient(role: RedisClientRole): RedisClient {
    return this.clients.create(role);
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
    if (isFrame(payload)) this.deliverFrame(route, payload, channel);
    else this.sink(route, payload, channel);
  }

  /**
   * Hands each event of a frame to the sink, in order, as if it had come
   * alone. Reading frames is always on, whatever `redis.frames` says, so that
   * publishers can turn them on before or after their subscribers are upgraded.
   */
  private deliverFrame(route: string, frame: string, channel: string): void {
    const { events, problem } = readFrame(frame);
    for (const event of events) this.sink(route, event, channel);
    if (problem !== undefined) this.sink(route, frame, channel, problem);
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
    this.audience?.forget();
    try {
      const channels = [...this.exact.keys()].map(type =>
        redisKeys.channel(this.prefix, type),
      );
      channels.push(...this.control.keys());
      const globs = [...this.globs.keys()];
      if (channels.length) await sub.subscribe(...channels);
      if (globs.length) await sub.psubscribe(...globs);
      if (this.plan.listenSharded) await this.sharded?.resubscribe();
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
