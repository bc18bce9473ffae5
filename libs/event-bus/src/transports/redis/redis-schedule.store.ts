import type { Cluster, Redis } from 'ioredis';
import type { TrimPolicy } from '../../durable/stream-store.interface.js';
import type {
  DelayedEntry,
  MoveEntry,
  ScheduleFire,
  ScheduleStore,
  StoredSchedule,
} from '../../scheduling/schedule-store.interface.js';
import { durableKeys, redisKeys, schedulingKeys } from './redis-keys.util.js';

type Client = Redis | Cluster;

/**
 * Moves due entries: each one is removed from the sorted set, and only if it was
 * still there (ZREM answers 1) appended to the stream and published. Two movers
 * racing on the same entry: one moves it, the other's ZREM answers 0. Atomic, so
 * a mover killed mid-batch leaves every entry either moved or stored.
 * KEYS: delayed set, stream. ARGV: trim strategy, trim threshold, the publish
 * command (PUBLISH, or SPUBLISH on a shard channel of the stream's hash tag), then
 * per entry member, durable ('1'/'0'), channel, offset of the payload in the member.
 */
const MOVE = `local moved = {}
for i = 4, #ARGV, 4 do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    local payload = string.sub(ARGV[i], tonumber(ARGV[i + 3]))
    if ARGV[i + 1] == '1' then
      redis.call('XADD', KEYS[2], ARGV[1], '~', ARGV[2], '*', 'e', payload)
    end
    redis.call(ARGV[3], ARGV[i + 2], payload)
    moved[#moved + 1] = 1
  else
    moved[#moved + 1] = 0
  end
end
return moved`;

/**
 * Fires a schedule if its record is still the one the mover read (compare and
 * set), so each due time fires once across instances.
 * KEYS: schedules hash, stream. ARGV: name, expected, next, durable, trim
 * strategy, trim threshold, channel, payload, publish command.
 */
const FIRE = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[4] == '1' then
  redis.call('XADD', KEYS[2], ARGV[5], '~', ARGV[6], '*', 'e', ARGV[8])
end
redis.call(ARGV[9], ARGV[7], ARGV[8])
return 1`;

/** Takes the lease when free, renews it when held by the caller. */
const LEASE = `local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisScheduleStoreOptions {
  prefix: string;
  trim: TrimPolicy;
  /** The transport's command client. */
  command: Client;
  /**
   * How a moved event is fanned out: `PUBLISH` on the type's channel (the default), or, for
   * sharded pub/sub on Cluster, `SPUBLISH` on a channel that must carry the stream's hash tag
   * (`{<segment>}`), since the script runs in that one slot.
   */
  fanOut?: {
    command: 'PUBLISH' | 'SPUBLISH';
    channel: (type: string) => string;
  };
}

/** How long a segment recorded in the set of segments is not recorded again (one SADD per segment at most this often). */
const SEGMENT_REANNOUNCE_MS = 1000;

/** Delayed events and schedules on Redis; see `schedulingKeys` for the layout. */
export class RedisScheduleStore implements ScheduleStore {
  /** Segments recorded lately (cleared every SEGMENT_REANNOUNCE_MS). */
  private readonly knownSegments = new Set<string>();
  private forgetTimer?: NodeJS.Timeout;

  constructor(private readonly options: RedisScheduleStoreOptions) {}

  private trimArgs(): [string, string] {
    const { trim } = this.options;
    return trim.strategy === 'maxlen'
      ? ['MAXLEN', String(trim.maxLength)]
      : ['MINID', `${Math.max(0, Date.now() - trim.maxAgeMs)}-0`];
  }

  private channel(type: string): string {
    const { fanOut, prefix } = this.options;
    return fanOut ? fanOut.channel(type) : redisKeys.channel(prefix, type);
  }

  private get publishCommand(): string {
    return this.options.fanOut?.command ?? 'PUBLISH';
  }

  async addDelayed(
    segment: string,
    dueMs: number,
    member: string,
  ): Promise<void> {
    const { command, prefix } = this.options;
    const zadd = command.zadd(
      schedulingKeys.delayed(prefix, segment),
      dueMs,
      member,
    );
    if (this.knownSegments.has(segment)) {
      await zadd;
      return;
    }
    // NOTE: recorded again now and then, as streams are: a Redis restarted without persistence loses the set.
    this.forgetTimer ??= setInterval(
      () => this.knownSegments.clear(),
      SEGMENT_REANNOUNCE_MS,
    ).unref();
    // Sent in one tick (pipelined) with the ZADD; the entry counts only once both are in.
    await Promise.all([
      command.sadd(schedulingKeys.segments(prefix), segment),
      zadd,
    ]);
    this.knownSegments.add(segment);
  }

  segments(): Promise<string[]> {
    const { command, prefix } = this.options;
    return command.smembers(schedulingKeys.segments(prefix));
  }

  async due(
    segment: string,
    nowMs: number,
    limit: number,
  ): Promise<DelayedEntry[]> {
    const { command, prefix } = this.options;
    const raw = await command.zrangebyscore(
      schedulingKeys.delayed(prefix, segment),
      '-inf',
      nowMs,
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    const out: DelayedEntry[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2)
      out.push({ member: raw[i], dueMs: Number(raw[i + 1]) });
    return out;
  }

  async move(segment: string, entries: MoveEntry[]): Promise<boolean[]> {
    if (entries.length === 0) return [];
    const { command, prefix } = this.options;
    const args: Array<string | number> = [
      ...this.trimArgs(),
      this.publishCommand,
    ];
    for (const entry of entries)
      args.push(
        entry.member,
        entry.durable ? '1' : '0',
        this.channel(entry.type),
        // Lua strings count bytes from 1: the payload starts after `<type>\n`.
        Buffer.byteLength(entry.type) + 2,
      );
    const moved = (await command.eval(
      MOVE,
      2,
      schedulingKeys.delayed(prefix, segment),
      durableKeys.stream(prefix, segment),
      ...args,
    )) as number[];
    if (entries.some((entry, i) => entry.durable && moved[i] === 1))
      await this.announceStream(segment);
    return moved.map(m => m === 1);
  }

  async countDelayed(): Promise<number> {
    const { command, prefix } = this.options;
    const segments = await this.segments();
    const counts = await Promise.all(
      segments.map(s => command.zcard(schedulingKeys.delayed(prefix, s))),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async acquireLease(owner: string, ttlMs: number): Promise<boolean> {
    const { command, prefix } = this.options;
    const held = await command.eval(
      LEASE,
      1,
      schedulingKeys.lease(prefix),
      owner,
      Math.ceil(ttlMs),
    );
    return held === 1;
  }

  async releaseLease(owner: string): Promise<void> {
    const { command, prefix } = this.options;
    await command.eval(RELEASE, 1, schedulingKeys.lease(prefix), owner);
  }

  async putSchedule(schedule: StoredSchedule): Promise<void> {
    const { command, prefix } = this.options;
    const previous = await command.hget(
      schedulingKeys.index(prefix),
      schedule.name,
    );
    await Promise.all([
      command.sadd(schedulingKeys.segments(prefix), schedule.segment),
      command.hset(
        schedulingKeys.schedules(prefix, schedule.segment),
        schedule.name,
        schedule.record,
      ),
      command.hset(
        schedulingKeys.index(prefix),
        schedule.name,
        schedule.segment,
      ),
    ]);
    if (previous !== null && previous !== schedule.segment)
      await command.hdel(
        schedulingKeys.schedules(prefix, previous),
        schedule.name,
      );
  }

  async getSchedule(name: string): Promise<StoredSchedule | undefined> {
    const { command, prefix } = this.options;
    const segment = await command.hget(schedulingKeys.index(prefix), name);
    if (segment === null) return undefined;
    const record = await command.hget(
      schedulingKeys.schedules(prefix, segment),
      name,
    );
    return record === null ? undefined : { name, segment, record };
  }

  async listSchedules(): Promise<StoredSchedule[]> {
    const { command, prefix } = this.options;
    const segments = await this.segments();
    const hashes = await Promise.all(
      segments.map(s => command.hgetall(schedulingKeys.schedules(prefix, s))),
    );
    return segments.flatMap((segment, i) =>
      Object.entries(hashes[i]).map(([name, record]) => ({
        name,
        segment,
        record,
      })),
    );
  }

  async removeSchedule(name: string): Promise<boolean> {
    const { command, prefix } = this.options;
    const segment = await command.hget(schedulingKeys.index(prefix), name);
    if (segment === null) return false;
    const [removed] = await Promise.all([
      command.hdel(schedulingKeys.schedules(prefix, segment), name),
      command.hdel(schedulingKeys.index(prefix), name),
    ]);
    return removed === 1;
  }

  async fire(fire: ScheduleFire): Promise<boolean> {
    const { command, prefix } = this.options;
    const fired = await command.eval(
      FIRE,
      2,
      schedulingKeys.schedules(prefix, fire.segment),
      durableKeys.stream(prefix, fire.segment),
      fire.name,
      fire.expected,
      fire.next,
      fire.durable ? '1' : '0',
      ...this.trimArgs(),
      this.channel(fire.type),
      fire.payload,
      this.publishCommand,
    );
    if (fired === 1 && fire.durable) await this.announceStream(fire.segment);
    return fired === 1;
  }

  close(): Promise<void> {
    clearInterval(this.forgetTimer);
    // The command client is the transport's: it closes it.
    return Promise.resolve();
  }

  /**
   * Records the stream for consumers of wildcard patterns, as a publisher's first append does
   * (`RedisStreamStore.announceStream`): a wildcard group finds a stream only through this set.
   */
  private async announceStream(segment: string): Promise<void> {
    const { command, prefix } = this.options;
    try {
      const added = await command.sadd(durableKeys.streams(prefix), segment);
      if (added === 1)
        await command.publish(durableKeys.control(prefix), `stream:${segment}`);
    } catch {
      // Recorded again by the next durable move or publish to this stream.
    }
  }
}
