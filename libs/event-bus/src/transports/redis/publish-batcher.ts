import type { Redis } from 'ioredis';

/**
 * PUBLISHes each (channel, message) pair of ARGV in order and returns what
 * each one answered: its receiver count, or its error (`pcall`), so that one
 * refused channel (ACL) fails its own event only.
 */
const PUBLISH_ALL = `local replies = {}
for i = 1, #ARGV, 2 do replies[#replies + 1] = redis.pcall('PUBLISH', ARGV[i], ARGV[i + 1]) end
return replies`;

/** Events per script call at most: the script runs atomically, so a batch holds Redis that long. */
export const MAX_BATCH_EVENTS = 64;
/** Payload characters per script call at most (past it the batch is sent and a new one begins). */
export const MAX_BATCH_CHARS = 256 * 1024;
/**
 * Fewer events than this in a tick go out as plain PUBLISHes (pipelined: still one write). A
 * script call costs Redis more than the PUBLISHes it replaces when it carries a handful, and
 * at a steady moderate rate (a few events per tick) it doubled the p99 latency (BENCHMARKS.md,
 * "fan-out latency"); the script pays off when the publisher is busy and ticks are full.
 */
export const MIN_SCRIPT_EVENTS = 16;

/** What the script answered for one event: its receiver count or its error. */
type Reply = number | Error;

interface Batch {
  /** channel, payload, channel, payload, …. */
  args: string[];
  chars: number;
  replies: Promise<Reply[]>;
  resolve(replies: Reply[]): void;
  reject(error: unknown): void;
}

/**
 * Sends the PUBLISHes of one tick as one `EVAL` that PUBLISHes them in order,
 * when the tick has at least MIN_SCRIPT_EVENTS of them (else as plain
 * PUBLISHes). ioredis spends more CPU on a command than Redis does on a
 * PUBLISH; one command per batch instead of one per event halves the
 * publisher's CPU per event when it is busy. The script is issued after the
 * commands of the tick before it on this connection (a durable XADD, say), so
 * it is sent after them, in the same write.
 *
 * A Redis that refuses scripts (ACL without EVAL, a managed Redis without
 * scripting) turns batching off for good: the batch that found out is sent
 * again as plain PUBLISHes (none of it was published) and so is every later one.
 */
export class PublishBatcher {
  private batch?: Batch;
  private refused = false;

  /**
   * @param client the publisher connection
   * @param onRefused told once, with Redis' answer, when scripts turn out to be refused
   */
  constructor(
    private readonly client: Redis,
    private readonly onRefused: (reason: string) => void,
  ) {}

  /** Queues one PUBLISH for the end of this tick; resolves with its receiver count. */
  publish(channel: string, message: string): Promise<number> {
    if (this.refused) return this.client.publish(channel, message);
    let batch = this.batch;
    if (
      batch !== undefined &&
      (batch.args.length >= MAX_BATCH_EVENTS * 2 ||
        batch.chars + message.length > MAX_BATCH_CHARS)
    ) {
      this.flush();
      batch = undefined;
    }
    if (batch === undefined) batch = this.begin();
    const at = batch.args.length >> 1;
    batch.args.push(channel, message);
    batch.chars += message.length;
    return batch.replies.then(replies => {
      const reply = replies[at];
      if (typeof reply === 'number') return reply;
      throw reply;
    });
  }

  /** Sends what is queued now (before `QUIT`, say) instead of at the end of the tick. */
  flush(): void {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    const { args } = batch;
    if (args.length < MIN_SCRIPT_EVENTS * 2) {
      this.publishEach(args).then(batch.resolve, batch.reject);
      return;
    }
    // NOTE: as Buffers the payloads wait for the reply (ioredis keeps a command's arguments
    // until then) outside the V8 heap: every scavenge while 1,000 publishes are in flight
    // copies less, and less is promoted. The UTF-8 encoding is done once either way.
    const encoded: Array<string | Buffer> = new Array(args.length);
    for (let i = 0; i < args.length; i += 2) {
      encoded[i] = args[i];
      encoded[i + 1] = Buffer.from(args[i + 1]);
    }
    this.client.eval(PUBLISH_ALL, 0, ...encoded).then(
      replies => batch.resolve(replies as Reply[]),
      (error: unknown) => {
        if (!isScriptRefusal(error)) return batch.reject(error);
        if (!this.refused) {
          this.refused = true;
          this.onRefused((error as Error).message);
        }
        this.publishEach(args).then(batch.resolve, batch.reject);
      },
    );
  }

  private begin(): Batch {
    let resolve!: (replies: Reply[]) => void;
    let reject!: (error: unknown) => void;
    const replies = new Promise<Reply[]>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    const batch: Batch = { args: [], chars: 0, replies, resolve, reject };
    this.batch = batch;
    process.nextTick(() => {
      if (this.batch === batch) this.flush();
    });
    return batch;
  }

  private publishEach(args: string[]): Promise<Reply[]> {
    const sent: Array<Promise<Reply>> = [];
    for (let i = 0; i < args.length; i += 2) {
      sent.push(
        this.client
          .publish(args[i], args[i + 1])
          .catch((error: Error) => error),
      );
    }
    return Promise.all(sent);
  }
}

/** Redis said no to running a script at all (as opposed to a lost connection or a busy server). */
function isScriptRefusal(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return false;
  return /^NOPERM|^ERR unknown command|^ERR .*(script|eval).*(disabled|not allowed)/i.test(
    error.message,
  );
}
