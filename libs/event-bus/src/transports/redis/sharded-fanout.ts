import type { EventBusLogger } from '../../event-bus.logger.js';
import { isInternalRoute } from '../../matching/pattern-matcher.js';
import { isFrame, readFrame } from './event-frame.js';
import type { RedisClient } from './redis-client.factory.js';
import { redisKeys } from './redis-keys.util.js';
import {
  shardChannel,
  shardOf,
  shardOfChannel,
  shardOfPattern,
  typeIsOfShard,
  typeOfEnvelope,
} from './shard-channels.js';

/** Hands one event to the bus (the transport's sink). */
type Deliver = (
  route: string,
  payload: string,
  channel: string,
  problem?: string,
) => void;

export interface ShardedFanOutOptions {
  prefix: string;
  /** The publisher connection: registry commands and the announcement PUBLISH. */
  command: () => RedisClient;
  /** The subscriber connection (a Cluster client with `shardedSubscribers`). */
  subscriber: () => RedisClient;
  deliver: Deliver;
  logger: EventBusLogger;
}

/**
 * Fan-out over Redis 7 sharded pub/sub (`redis.cluster.shardedPubSub`): one
 * shard channel per first segment of the event type (see `shardChannel`),
 * `SPUBLISH`ed to the one master that owns its slot instead of every node.
 *
 * Sharded pub/sub has no patterns. A pattern whose first segment is literal
 * (`photo.uploaded`, `photo.*`, `photo.**`) listens on that segment's channel
 * and the router's matcher keeps its events. A pattern that starts with a
 * wildcard (`**`, `*.uploaded`) would need every segment, including ones not
 * published yet, so publishers register each segment in a Redis set the first
 * time they publish it (`SADD`, once per segment and process) and announce the
 * new ones on a classic control channel; such a pattern listens on every
 * registered segment and on each one announced later. The events of a segment
 * published before its announcement arrives are missed by those patterns
 * (at most once, as fan-out always is).
 */
export class ShardedFanOut {
  /** Shard → how many of our patterns are bound to it. */
  private readonly bound = new Map<string, number>();
  /** Patterns starting with a wildcard: they listen on every known shard. */
  private readonly wide = new Set<string>();
  /** Every shard of the registry, while a wide pattern is subscribed. */
  private readonly known = new Set<string>();
  /** Shards handed to ioredis' SSUBSCRIBE (it resubscribes those after failovers itself). */
  private readonly handed = new Set<string>();
  /** Shards this process has registered as a publisher. */
  private readonly registered = new Set<string>();
  /** Patterns subscribed (subscribing one twice is a no-op). */
  private readonly patterns = new Set<string>();
  readonly registryKey: string;
  readonly controlChannel: string;

  constructor(private readonly options: ShardedFanOutOptions) {
    this.registryKey = `${options.prefix}fanout:shards`;
    this.controlChannel = redisKeys.channel(options.prefix, '#shards');
  }

  /** The shard channel `route` is published on; registers its shard the first time. */
  channelOf(route: string): string {
    const shard = shardOf(route);
    if (!this.registered.has(shard) && !isInternalRoute(route))
      this.register(shard);
    return shardChannel(this.options.prefix, shard);
  }

  /** Starts listening for `pattern` (a type, a wildcard pattern or a `#` route). */
  async add(pattern: string): Promise<void> {
    if (this.patterns.has(pattern)) return;
    this.patterns.add(pattern);
    const shard = shardOfPattern(pattern);
    if (shard !== undefined) {
      this.bound.set(shard, (this.bound.get(shard) ?? 0) + 1);
      await this.ensure(shard);
      return;
    }
    const first = this.wide.size === 0;
    this.wide.add(pattern);
    if (first) await this.loadKnown();
  }

  async remove(pattern: string): Promise<void> {
    if (!this.patterns.delete(pattern)) return;
    const shard = shardOfPattern(pattern);
    if (shard !== undefined) {
      const left = (this.bound.get(shard) ?? 1) - 1;
      if (left > 0) this.bound.set(shard, left);
      else {
        this.bound.delete(shard);
        await this.release(shard);
      }
      return;
    }
    if (!this.wide.delete(pattern) || this.wide.size > 0) return;
    const shards = [...this.known];
    this.known.clear();
    await Promise.all(shards.map(shard => this.release(shard)));
  }

  /** A publisher registered a new shard (control channel). */
  announced(shard: string): void {
    if (this.wide.size === 0 || this.known.has(shard)) return;
    this.known.add(shard);
    void this.ensure(shard);
  }

  /**
   * After the subscriber connected again: shards asked for while it was down
   * are subscribed now (ioredis keeps and resubscribes the ones it was given),
   * and wide patterns read the registry again for announcements missed.
   */
  async resubscribe(): Promise<void> {
    if (this.wide.size > 0) await this.loadKnown();
    await Promise.all([...this.bound.keys()].map(shard => this.ensure(shard)));
  }

  /** One message of a shard channel: each event goes to the bus under its own type. */
  receive(channel: string, payload: string): void {
    const shard = shardOfChannel(this.options.prefix, channel);
    if (shard === undefined) return;
    if (isInternalRoute(shard)) {
      this.options.deliver(shard, payload, channel);
      return;
    }
    if (!isFrame(payload)) {
      this.deliverOne(shard, payload, channel);
      return;
    }
    const { events, problem } = readFrame(payload);
    for (const event of events) this.deliverOne(shard, event, channel);
    if (problem !== undefined)
      this.options.deliver(shard, payload, channel, problem);
  }

  /** Shards subscribed, for the tests and the logs. */
  get subscribed(): number {
    return this.handed.size;
  }

  private deliverOne(shard: string, payload: string, channel: string): void {
    const type = typeOfEnvelope(payload);
    if (type !== undefined && typeIsOfShard(type, shard))
      this.options.deliver(type, payload, channel);
    else
      this.options.deliver(
        shard,
        payload,
        channel,
        type === undefined
          ? 'field "type" is missing'
          : `envelope type "${type}" does not belong on shard channel "${channel}"`,
      );
  }

  private wanted(shard: string): boolean {
    return this.bound.has(shard) || this.known.has(shard);
  }

  private async ensure(shard: string): Promise<void> {
    if (this.handed.has(shard) || !this.wanted(shard)) return;
    const sub = this.options.subscriber();
    // NOTE: when not ready, `resubscribe` on the next `ready` subscribes what is wanted.
    if (sub.status !== 'ready') return;
    this.handed.add(shard);
    try {
      await sub.ssubscribe(shardChannel(this.options.prefix, shard));
    } catch (error) {
      this.handed.delete(shard);
      this.options.logger.limited(
        'ssubscribe failed',
        'warn',
        `SSUBSCRIBE of shard channel "${shardChannel(this.options.prefix, shard)}" failed: ${(error as Error).message}. Retrying when the subscriber reconnects.`,
      );
    }
  }

  private async release(shard: string): Promise<void> {
    if (!this.handed.has(shard) || this.wanted(shard)) return;
    this.handed.delete(shard);
    const sub = this.options.subscriber();
    if (sub.status === 'ready')
      await sub
        .sunsubscribe(shardChannel(this.options.prefix, shard))
        .catch(() => undefined);
  }

  private async loadKnown(): Promise<void> {
    let shards: string[];
    try {
      shards = await this.options.command().smembers(this.registryKey);
    } catch (error) {
      this.options.logger.limited(
        'shard registry',
        'warn',
        `Could not read the shard registry "${this.registryKey}": ${(error as Error).message}. Patterns starting with a wildcard hear only the segments announced from now on until the subscriber reconnects.`,
      );
      return;
    }
    if (this.wide.size === 0) return;
    for (const shard of shards) this.known.add(shard);
    await Promise.all(shards.map(shard => this.ensure(shard)));
  }

  /** Adds a shard to the registry; announces it when it is new to Redis. */
  private register(shard: string): void {
    const command = this.options.command();
    this.registered.add(shard);
    command.sadd(this.registryKey, shard).then(
      added =>
        added === 1
          ? command.publish(this.controlChannel, shard).catch(() => undefined)
          : undefined,
      // Registered again by the next publish of the shard.
      () => this.registered.delete(shard),
    );
  }
}
