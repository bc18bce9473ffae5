import { compareEntryIds } from '../../durable/entry-ids.js';
import type { Cluster, Redis } from 'ioredis';
import { parseJsonWithinDepth } from '../../envelope/json-depth.js';
import { EventBusUnavailableError } from '../../errors/event-bus-unavailable.error.js';
import { MAX_DEPTH_CEILING } from '../../event-bus.constants.js';
import { messages } from '../../event-bus.messages.js';
import { durableKeys } from './redis-keys.util.js';
import { describeRedisStream } from './redis-stream-description.js';
import type {
  ClaimedEntry,
  DeadLetter,
  DeadLetterInfo,
  GroupLag,
  StreamDescription,
  StreamEntry,
  StreamStore,
  TrimPolicy,
} from '../../durable/stream-store.interface.js';

type Client = Redis | Cluster;
type RawEntry = [id: string, fields: string[] | null];

/** How often a publisher records again the streams it appends to (one SADD per stream at most this often). */
const STREAM_REANNOUNCE_MS = 1000;

/**
 * XGROUP DELCONSUMER drops the consumer's pending entries with it: remove it only if it holds
 * none, in one step, in case it read something since XINFO CONSUMERS listed it. -1: kept.
 */
const DELETE_IF_NOTHING_PENDING = `if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return -1 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])`;

export interface RedisStreamStoreOptions {
  prefix: string;
  trim: TrimPolicy;
  /** Dead letters kept per stream. */
  deadLetterMaxLength: number;
  /** Client for ordinary commands (shared with publishing, so XADD and PUBLISH pipeline together). */
  command: Client;
  /** Makes a dedicated connection for one blocking reader. */
  createReader: () => Client;
  /** Subscribes to a control channel on the transport's subscriber connection. */
  subscribeControl: (channel: string, listener: () => void) => Promise<void>;
}

function fieldsToMap(fields: string[] | null): Map<string, string> {
  const map = new Map<string, string>();
  if (!fields) return map;
  for (let i = 0; i + 1 < fields.length; i += 2)
    map.set(fields[i], fields[i + 1]);
  return map;
}

/**
 * A stream entry from XREADGROUP/XAUTOCLAIM (hot path: scans the fields without building a map).
 * Undefined for an entry deleted while pending (no fields); one without an `e` field comes back
 * `malformed`, for the consumer to dead-letter.
 */
function toEntry([id, fields]: RawEntry): StreamEntry | undefined {
  if (!fields) return undefined;
  let payload: string | undefined;
  let targetGroup: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e') payload = fields[i + 1];
    else if (fields[i] === 'g') targetGroup = fields[i + 1];
  }
  if (payload === undefined) {
    const shown = JSON.stringify(Object.fromEntries(fieldsToMap(fields)));
    const malformed = `entry has no "e" field (the event); its fields: ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}`;
    return targetGroup
      ? { id, payload: '', targetGroup, malformed }
      : { id, payload: '', malformed };
  }
  return targetGroup ? { id, payload, targetGroup } : { id, payload };
}

/**
 * Durable storage on Redis Streams: XADD with trimming, XREADGROUP on a
 * dedicated connection per reader, XACK, XAUTOCLAIM for crashed consumers, XCLAIM
 * JUSTID as a heartbeat, and a dead-letter stream beside each stream.
 */
export class RedisStreamStore implements StreamStore {
  private readonly readers = new Map<string, Client>();
  /** Streams recorded in the set of streams lately (cleared every STREAM_REANNOUNCE_MS). */
  private readonly knownStreams = new Set<string>();
  private reannounceTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: RedisStreamStoreOptions) {}

  private key(stream: string): string {
    return durableKeys.stream(this.options.prefix, stream);
  }

  private deadKey(stream: string): string {
    return durableKeys.dead(this.options.prefix, stream);
  }

  private trimArgs(): Array<string | number> {
    const { trim } = this.options;
    return trim.strategy === 'maxlen'
      ? ['MAXLEN', '~', trim.maxLength]
      : ['MINID', '~', `${Math.max(0, Date.now() - trim.maxAgeMs)}-0`];
  }

  append(
    stream: string,
    payload: string,
    targetGroup?: string,
  ): Promise<string> {
    // NOTE: not async, and the XADD is sent in this tick: the publisher pipelines it with its PUBLISH.
    if (!this.knownStreams.has(stream)) this.announceStream(stream);
    return this.xadd(stream, payload, targetGroup);
  }

  private xadd(
    stream: string,
    payload: string,
    targetGroup?: string,
  ): Promise<string> {
    const { command, trim } = this.options;
    const key = this.key(stream);
    if (targetGroup)
      return command.call(
        'XADD',
        key,
        ...this.trimArgs(),
        '*',
        'e',
        payload,
        'g',
        targetGroup,
      ) as Promise<string>;
    return (
      trim.strategy === 'maxlen'
        ? command.call(
            'XADD',
            key,
            'MAXLEN',
            '~',
            trim.maxLength,
            '*',
            'e',
            payload,
          )
        : command.call('XADD', key, ...this.trimArgs(), '*', 'e', payload)
    ) as Promise<string>;
  }

  /**
   * Records the stream in the set that consumers of wildcard patterns read, and tells them when it
   * is new there. Sent in the same tick as the XADD and not waited for: a group's start id is its
   * registration time, so a group created after the entry still gets it.
   */
  private announceStream(stream: string): void {
    const { command, prefix } = this.options;
    this.knownStreams.add(stream);
    // NOTE: forget the streams now and then, so each is recorded again while it gets events: a Redis
    // restarted without persistence loses the set, and a new wildcard group would never find streams
    // whose publishers had recorded them once (issue 15: a new *.work group handled 0 of 3,786 events).
    this.reannounceTimer ??= setInterval(
      () => this.knownStreams.clear(),
      STREAM_REANNOUNCE_MS,
    ).unref();
    command
      .sadd(durableKeys.streams(prefix), stream)
      .then(added =>
        added === 1 ? this.announce(`stream:${stream}`) : undefined,
      )
      // Tried again within STREAM_REANNOUNCE_MS (the publish itself stands or falls with its XADD).
      .catch(() => undefined);
  }

  async ensureGroup(
    stream: string,
    group: string,
    startId: string,
  ): Promise<void> {
    try {
      await this.options.command.call(
        'XGROUP',
        'CREATE',
        this.key(stream),
        group,
        startId,
        'MKSTREAM',
      );
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  }

  async read(
    stream: string,
    group: string,
    consumer: string,
    count: number,
    blockMs: number,
  ): Promise<StreamEntry[]> {
    const readerKey = `${stream}\u0000${group}\u0000${consumer}`;
    let reader = this.readers.get(readerKey);
    if (!reader) {
      reader = this.options.createReader();
      this.readers.set(readerKey, reader);
    }
    let reply: unknown;
    try {
      reply = await reader.call(
        'XREADGROUP',
        'GROUP',
        group,
        consumer,
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        this.key(stream),
        '>',
      );
    } catch (error) {
      if (String((error as Error).message).includes('NOGROUP')) {
        // The stream or group was deleted under us (FLUSHALL, a manual DEL): recreate and go on.
        await this.ensureGroup(stream, group, '0');
        return [];
      }
      throw error;
    }
    const entries: StreamEntry[] = [];
    for (const items of streamItems(reply)) {
      for (const item of items) {
        const entry = toEntry(item);
        if (entry) entries.push(entry);
        else await this.ack(stream, group, [item[0]]);
      }
    }
    return entries;
  }

  async ack(stream: string, group: string, ids: string[]): Promise<void> {
    if (ids.length)
      await this.options.command.call('XACK', this.key(stream), group, ...ids);
  }

  async claimIdle(
    stream: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    count: number,
  ): Promise<ClaimedEntry[]> {
    const key = this.key(stream);
    const reply = (await this.options.command.call(
      'XAUTOCLAIM',
      key,
      group,
      consumer,
      minIdleMs,
      '0-0',
      'COUNT',
      count,
    )) as [string, RawEntry[], string[]?];
    const raw = reply[1] ?? [];
    if (raw.length === 0) return [];
    const deliveries = new Map<string, number>();
    const pending = (await this.options.command.call(
      'XPENDING',
      key,
      group,
      raw[0][0],
      raw[raw.length - 1][0],
      raw.length,
      consumer,
    )) as Array<[string, string, number, number]>;
    for (const [id, , , times] of pending) deliveries.set(id, Number(times));
    const claimed: ClaimedEntry[] = [];
    for (const item of raw) {
      const entry = toEntry(item);
      if (!entry) {
        await this.ack(stream, group, [item[0]]);
        continue;
      }
      claimed.push({ ...entry, deliveries: deliveries.get(entry.id) ?? 1 });
    }
    return claimed;
  }

  async touch(
    stream: string,
    group: string,
    consumer: string,
    ids: string[],
  ): Promise<void> {
    if (ids.length)
      await this.options.command.call(
        'XCLAIM',
        this.key(stream),
        group,
        consumer,
        0,
        ...ids,
        'JUSTID',
      );
  }

  async removeIdleConsumers(
    stream: string,
    group: string,
    idleMs: number,
    keep: string,
  ): Promise<string[]> {
    const { command } = this.options;
    const key = this.key(stream);
    const consumers = (await command.call(
      'XINFO',
      'CONSUMERS',
      key,
      group,
    )) as Array<Array<string | number>>;
    const removed: string[] = [];
    for (const raw of consumers) {
      const info = fieldsToMap(raw.map(String));
      const name = info.get('name');
      // `idle`: since the consumer's last read or claim, attempted or not (Redis 7.2 adds `inactive` for the successful ones).
      if (
        !name ||
        name === keep ||
        Number(info.get('pending')) > 0 ||
        !(Number(info.get('idle')) > idleMs)
      )
        continue;
      if (
        Number(
          await command.eval(DELETE_IF_NOTHING_PENDING, 1, key, group, name),
        ) >= 0
      )
        removed.push(name);
    }
    return removed;
  }

  async deadLetter(
    stream: string,
    entry: StreamEntry,
    info: DeadLetterInfo,
  ): Promise<void> {
    const fields = [
      'e',
      entry.payload,
      'entry',
      entry.id,
      'group',
      info.group,
      'handler',
      info.handler,
      'error',
      info.error,
      'stack',
      info.stack ?? '',
      'attempts',
      String(info.attempts),
      'first',
      info.firstFailureAt,
      'last',
      info.lastFailureAt,
    ];
    await this.options.command
      .multi()
      .call(
        'XADD',
        this.deadKey(stream),
        'MAXLEN',
        '~',
        this.options.deadLetterMaxLength,
        '*',
        ...fields,
      )
      .call('XACK', this.key(stream), info.group, entry.id)
      .exec();
  }

  async isDone(stream: string, group: string, key: string): Promise<boolean> {
    return (
      (await this.options.command.exists(
        durableKeys.done(this.options.prefix, stream, group, key),
      )) === 1
    );
  }

  async ackAndMarkDone(
    stream: string,
    group: string,
    id: string,
    key: string,
    windowMs: number,
  ): Promise<void> {
    await this.options.command
      .multi()
      .call('XACK', this.key(stream), group, id)
      .set(
        durableKeys.done(this.options.prefix, stream, group, key),
        '1',
        'PX',
        windowMs,
      )
      .exec();
  }

  async registerPattern(pattern: string, group: string): Promise<number> {
    const { command, prefix } = this.options;
    const now = String(Date.now());
    await command.hsetnx(durableKeys.patterns(prefix), pattern, now);
    const groups = durableKeys.groups(prefix);
    await command.hsetnx(groups, group, now);
    const registeredAt = Number(await command.hget(groups, group));
    await this.announce(`pattern:${pattern}`);
    return registeredAt;
  }

  /** Tells every instance of a new stream or pattern, on the control channel. */
  private async announce(message: string): Promise<void> {
    const channel = durableKeys.control(this.options.prefix);
    try {
      await this.options.command.publish(channel, message);
    } catch (error) {
      throw new EventBusUnavailableError(
        messages.controlPublishFailed(channel, (error as Error).message),
      );
    }
  }

  async patterns(): Promise<Map<string, number>> {
    const all = await this.options.command.hgetall(
      durableKeys.patterns(this.options.prefix),
    );
    return new Map(
      Object.entries(all).map(([pattern, at]) => [pattern, Number(at)]),
    );
  }

  async streams(): Promise<string[]> {
    return this.options.command.smembers(
      durableKeys.streams(this.options.prefix),
    );
  }

  onPatternsChanged(listener: () => void): void {
    void this.options.subscribeControl(
      durableKeys.control(this.options.prefix),
      listener,
    );
  }

  async lag(stream: string, group: string): Promise<GroupLag> {
    try {
      const groups = (await this.options.command.call(
        'XINFO',
        'GROUPS',
        this.key(stream),
      )) as Array<Array<string | number | null>>;
      for (const raw of groups) {
        const info = new Map<string, string | number | null>();
        for (let i = 0; i + 1 < raw.length; i += 2)
          info.set(String(raw[i]), raw[i + 1]);
        if (info.get('name') !== group) continue;
        const lag = info.get('lag');
        return {
          stream,
          group,
          pending: Number(info.get('pending') ?? 0),
          lag: lag === null || lag === undefined ? null : Number(lag),
        };
      }
    } catch {
      // No such stream yet: nothing pending.
    }
    return { stream, group, pending: 0, lag: 0 };
  }

  describe(stream: string): Promise<StreamDescription> {
    return describeRedisStream(
      this.options.command,
      stream,
      this.key(stream),
      this.deadKey(stream),
    );
  }

  async listDeadLetters({
    stream,
    count = 100,
    after,
  }: {
    stream?: string;
    count?: number;
    after?: string;
  }): Promise<DeadLetter[]> {
    const streams = stream ? [stream] : await this.streams();
    const out: DeadLetter[] = [];
    for (const name of streams) {
      const raw = (await this.options.command.call(
        'XRANGE',
        this.deadKey(name),
        after ? `(${after}` : '-',
        '+',
        'COUNT',
        count,
      )) as RawEntry[];
      for (const [id, fields] of raw)
        out.push(toDeadLetter(name, id, fieldsToMap(fields)));
    }
    return out.sort((a, b) => compareEntryIds(a.id, b.id)).slice(0, count);
  }

  async countDeadLetters(stream?: string): Promise<number> {
    const streams = stream ? [stream] : await this.streams();
    let total = 0;
    for (const name of streams)
      total += Number(
        await this.options.command.call('XLEN', this.deadKey(name)),
      );
    return total;
  }

  async getDeadLetter(
    stream: string,
    id: string,
  ): Promise<DeadLetter | undefined> {
    let raw: RawEntry[];
    try {
      raw = (await this.options.command.call(
        'XRANGE',
        this.deadKey(stream),
        id,
        id,
      )) as RawEntry[];
    } catch {
      // Not a stream id (a typo on the command line): there is no such dead letter.
      return undefined;
    }
    return raw.length
      ? toDeadLetter(stream, raw[0][0], fieldsToMap(raw[0][1]))
      : undefined;
  }

  async deleteDeadLetter(stream: string, id: string): Promise<boolean> {
    try {
      return (
        Number(
          await this.options.command.call('XDEL', this.deadKey(stream), id),
        ) === 1
      );
    } catch (error) {
      // Not a stream id (a typo on the command line): there is no such dead letter.
      if (String((error as Error).message).includes('Invalid stream ID'))
        return false;
      throw error;
    }
  }

  async purgeDeadLetters(stream?: string): Promise<number> {
    const streams = stream ? [stream] : await this.streams();
    let total = 0;
    for (const name of streams) {
      total += Number(
        await this.options.command.call('XLEN', this.deadKey(name)),
      );
      await this.options.command.del(this.deadKey(name));
    }
    return total;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reannounceTimer);
    // NOTE: disconnect, not quit: a reader may be inside a BLOCK that QUIT would wait out.
    for (const reader of this.readers.values()) reader.disconnect();
    this.readers.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/**
 * The entry lists of an XREAD/XREADGROUP reply. RESP2 answers `[[key, entries], …]`;
 * RESP3 (ioredis 6's default) answers a map, which ioredis flattens to `[key, entries, …]`.
 */
function streamItems(reply: unknown): RawEntry[][] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  if (typeof reply[0] === 'string' || Buffer.isBuffer(reply[0])) {
    const out: RawEntry[][] = [];
    for (let i = 1; i < reply.length; i += 2) out.push(reply[i] as RawEntry[]);
    return out;
  }
  return (reply as Array<[string, RawEntry[]]>).map(([, items]) => items);
}

function toDeadLetter(
  stream: string,
  id: string,
  fields: Map<string, string>,
): DeadLetter {
  const payload = fields.get('e') ?? '';
  // A malformed entry (not JSON, or nested too deep) was dead-lettered as such: it keeps its raw
  // payload and has no event id or type.
  const parsed = parseJsonWithinDepth(payload, MAX_DEPTH_CEILING + 1) as
    { id?: unknown; type?: unknown } | null | undefined;
  const eventId = typeof parsed?.id === 'string' ? parsed.id : undefined;
  const type = typeof parsed?.type === 'string' ? parsed.type : undefined;
  return {
    id,
    stream,
    entryId: fields.get('entry') ?? '',
    eventId,
    type,
    payload,
    group: fields.get('group') ?? '',
    handler: fields.get('handler') ?? '',
    error: fields.get('error') ?? '',
    stack: fields.get('stack') || undefined,
    attempts: Number(fields.get('attempts') ?? 0),
    firstFailureAt: fields.get('first') ?? '',
    lastFailureAt: fields.get('last') ?? '',
  };
}
