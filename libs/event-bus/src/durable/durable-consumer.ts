import type { EventCodec } from '../envelope/event-codec.js';
import { EventBusLogger, eventTag } from '../event-bus.logger.js';
import type { EventBusMetrics } from '../delivery/event-bus-metrics.js';
import type {
  HandlerInvoker,
  HandlerOutcome,
} from '../delivery/handler-invoker.js';
import type { HandlerRecord } from '../delivery/handler-record.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import {
  compilePattern,
  type TypeMatcher,
} from '../matching/pattern-matcher.js';
import type { StreamEntry, StreamStore } from './stream-store.interface.js';
import { within } from '../within.util.js';
import { backoffDelay } from '../delivery/retry-policy.js';

/** 200 ms, 400 ms, … up to 2 s between reads after an error. */
const READ_ERROR_BACKOFF = {
  initialDelay: 200,
  multiplier: 2,
  maxDelay: 2000,
  jitter: 'none',
} as const;

/** Settings of one durable consumer, resolved from the handler and module options. */
export interface DurableConsumerSettings {
  group: string;
  consumer: string;
  concurrency: number;
  batchSize: number;
  blockMs: number;
  claimIdleMs: number;
  claimIntervalMs: number;
  maxDeliveries: number;
  /** Idempotency window in ms; 0 disables the check. */
  idempotencyWindowMs: number;
  /** Other consumers of the group idle longer than this with nothing pending are removed. */
  consumerIdleTimeoutMs: number;
}

/**
 * Reads one stream for one durable handler, as one consumer of its group.
 * Reads only as many entries as it has free slots (the backpressure), acks
 * after success, dead-letters after the last retry, keeps the claim of running
 * entries fresh, and takes over entries that other consumers left idle.
 */
export class DurableConsumer {
  private running = 0;
  private stopped = false;
  private loop?: Promise<void>;
  private claimTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  /** Ids of the entries whose handlers are running, whose claims the heartbeat keeps fresh. */
  private readonly runningIds = new Set<string>();
  private claiming = false;
  /** When this consumer last looked for dead consumers of its group (see pruneConsumers). */
  private prunedAt = Date.now();
  /** True while a taken-over entry runs: reading pauses so a poison event runs alone. */
  private suspectRunning = false;
  private slotWaiters: Array<() => void> = [];
  private ackQueue: string[] = [];
  private ackScheduled = false;
  private readonly acksInFlight = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  private readonly match: TypeMatcher;

  constructor(
    private readonly store: StreamStore,
    readonly stream: string,
    readonly record: HandlerRecord,
    private readonly settings: DurableConsumerSettings,
    private readonly invoker: HandlerInvoker,
    private readonly codec: EventCodec,
    private readonly metrics: EventBusMetrics,
    /** The durable manager's logger: its rate limits hold for all the consumers of the bus. */
    private readonly logger: EventBusLogger,
  ) {
    this.match = compilePattern(record.pattern);
  }

  get group(): string {
    return this.settings.group;
  }

  get inFlight(): number {
    return this.running;
  }

  start(): void {
    this.loop = this.readLoop();
    this.claimTimer = setInterval(
      () => void this.claimIdle(),
      this.settings.claimIntervalMs,
    );
    this.claimTimer.unref();
    // Keep the claims of running entries fresh, so nobody takes one over from under its handler:
    // one timer and one XCLAIM JUSTID for all of them, every third of the idle time.
    this.heartbeatTimer = setInterval(
      () => this.heartbeat(),
      Math.max(20, Math.floor(this.settings.claimIdleMs / 3)),
    );
    this.heartbeatTimer.unref();
  }

  private heartbeat(): void {
    if (this.runningIds.size === 0) return;
    const { group, consumer } = this.settings;
    void this.store
      .touch(this.stream, group, consumer, [...this.runningIds])
      .catch(() => undefined);
  }

  /**
   * Stops reading, waits up to `timeoutMs` for running handlers (their results
   * are acked or dead-lettered as usual) and leaves everything else pending for
   * the group's other consumers. True when nothing was left running.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    clearInterval(this.claimTimer);
    // The heartbeat goes on while handlers still run (handle() clears it after the last one).
    if (this.running === 0) clearInterval(this.heartbeatTimer);
    for (const wake of this.slotWaiters.splice(0)) wake();
    const idle =
      this.running === 0
        ? Promise.resolve(true)
        : new Promise<boolean>(resolve =>
            this.idleWaiters.push(() => resolve(true)),
          );
    // The last handlers' acks are still on their way (a handler's slot is free once its ack is queued).
    return within(
      idle.then(async done => {
        await this.acksSettled();
        return done;
      }),
      timeoutMs,
      false,
    );
  }

  /** Resolves when the read loop has ended (after the store closed its reader). */
  async ended(): Promise<void> {
    await this.loop;
  }

  private async readLoop(): Promise<void> {
    const { group, consumer, batchSize, blockMs, concurrency } = this.settings;
    // NOTE: read again only when half the slots are free (or all, when idle), so a busy consumer
    // fetches batches instead of one entry per round trip as each handler finishes.
    const minFree = Math.max(
      1,
      Math.floor(Math.min(concurrency, batchSize) / 2),
    );
    let failures = 0;
    while (!this.stopped) {
      const free = concurrency - this.running;
      if (
        (free < minFree && this.running > 0) ||
        free <= 0 ||
        this.suspectRunning
      ) {
        await new Promise<void>(resolve => this.slotWaiters.push(resolve));
        continue;
      }
      let entries: StreamEntry[];
      try {
        entries = await this.store.read(
          this.stream,
          group,
          consumer,
          Math.min(free, batchSize),
          blockMs,
        );
        failures = 0;
      } catch (error) {
        if (this.stopped) break;
        failures++;
        if (failures === 1)
          this.logger.warn(
            `Reading stream "${this.stream}" for group ${group} failed: ${(error as Error).message}. Retrying.`,
          );
        await new Promise(r =>
          setTimeout(r, backoffDelay(READ_ERROR_BACKOFF, failures)),
        );
        continue;
      }
      for (const entry of entries) void this.handle(entry, 1);
    }
  }

  /**
   * Takes over entries other consumers left idle, one at a time and with reading
   * paused: an entry whose handler kills its process then dies alone, and the
   * delivery counts of innocent entries do not grow with it.
   */
  private async claimIdle(): Promise<void> {
    if (
      this.stopped ||
      this.claiming ||
      this.running >= this.settings.concurrency
    )
      return;
    this.claiming = true;
    try {
      const { group, consumer, claimIdleMs } = this.settings;
      while (!this.stopped) {
        const [entry] = await this.store.claimIdle(
          this.stream,
          group,
          consumer,
          claimIdleMs,
          1,
        );
        if (!entry) break;
        this.logger.log(
          `Took over entry ${entry.id} of stream "${this.stream}" for group ${group} (delivery ${entry.deliveries}): its consumer stopped acknowledging it.`,
        );
        this.suspectRunning = true;
        try {
          await this.handleAlone(entry, entry.deliveries);
        } finally {
          this.suspectRunning = false;
          this.slotWaiters.shift()?.();
        }
      }
      // After the claims: a dead consumer whose entries were just taken over is removable now.
      await this.pruneConsumers();
    } catch (error) {
      if (!this.stopped)
        this.logger.debug(
          `Claiming idle entries failed: ${(error as Error).message}`,
        );
    } finally {
      this.claiming = false;
    }
  }

  /**
   * Removes consumers of the group that are gone: idle past the bound with nothing pending. Every
   * process restart leaves its consumer behind otherwise (issue 15: 6 listed after 4 restarts).
   * Runs in the claim loop, at most every half bound, so a dead consumer goes within 1.5 bounds.
   */
  private async pruneConsumers(): Promise<void> {
    const { group, consumer, consumerIdleTimeoutMs } = this.settings;
    const now = Date.now();
    if (this.stopped || now - this.prunedAt < consumerIdleTimeoutMs / 2) return;
    this.prunedAt = now;
    let removed: string[];
    try {
      removed = await this.store.removeIdleConsumers(
        this.stream,
        group,
        consumerIdleTimeoutMs,
        consumer,
      );
    } catch (error) {
      // E.g. a Redis user without EVAL: nothing is removed rather than risking a consumer's pending entries.
      if (!this.stopped)
        this.logger.limited(
          'durable consumer clean-up',
          'warn',
          `Could not remove idle consumers of group ${group} on stream "${this.stream}": ${(error as Error).message}. They stay listed (harmless, but XINFO CONSUMERS grows); allow XINFO, EVAL and XGROUP for this Redis user.`,
        );
      return;
    }
    if (removed.length > 0) {
      this.logger.log(
        `Removed ${removed.length} consumer(s) of group ${group} on stream "${this.stream}" idle for over ${consumerIdleTimeoutMs} ms with nothing pending: ${removed.join(', ')}.`,
      );
    }
  }

  /**
   * Runs one entry in a slot; `done` is called when the slot is free again. The
   * common path (a decodable event, no idempotency) costs no promise of ours:
   * the invoker calls back, and the ack is queued, not waited for.
   */
  private handle(
    entry: StreamEntry,
    deliveries: number,
    done?: () => void,
  ): void {
    this.running++;
    this.runningIds.add(entry.id);
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      this.runningIds.delete(entry.id);
      this.running--;
      this.slotWaiters.shift()?.();
      if (this.running === 0) {
        for (const wake of this.idleWaiters.splice(0)) wake();
        if (this.stopped) clearInterval(this.heartbeatTimer);
      }
      done?.();
    };
    const fail = (error: unknown): void => {
      // Store trouble (Redis down): the entry stays pending and comes back after claimIdleMs.
      this.logger.warn(
        `Entry ${entry.id} of stream "${this.stream}" stays pending for group ${this.settings.group}: ${(error as Error).message}`,
      );
      finish();
    };
    try {
      this.process(entry, deliveries, finish, fail);
    } catch (error) {
      fail(error);
    }
  }

  /** `handle` as a promise, for the taken-over entries that run one at a time. */
  private handleAlone(entry: StreamEntry, deliveries: number): Promise<void> {
    return new Promise(resolve => this.handle(entry, deliveries, resolve));
  }

  private process(
    entry: StreamEntry,
    deliveries: number,
    finish: () => void,
    fail: (error: unknown) => void,
  ): void {
    const { group, maxDeliveries, idempotencyWindowMs } = this.settings;
    if (entry.targetGroup && entry.targetGroup !== group) {
      // A dead letter replayed for another group.
      this.metrics.skipped++;
      this.ack(entry.id);
      finish();
      return;
    }
    const decoded =
      entry.malformed === undefined
        ? this.codec.decode(entry.payload)
        : { ok: false as const, reason: entry.malformed };
    if (!decoded.ok) {
      this.deadLetterMalformed(entry, decoded.reason).then(finish, fail);
      return;
    }
    const event = decoded.envelope;
    if (!this.match(event.type)) {
      // Another pattern's event on a shared stream (or, for a wildcard group, any stream).
      this.metrics.skipped++;
      this.ack(entry.id);
      finish();
      return;
    }
    if (this.record.filter && !safeFilter(this.record.filter, event)) {
      this.metrics.filtered++;
      this.ack(entry.id);
      finish();
      return;
    }
    if (deliveries > maxDeliveries) {
      this.deadLetter(
        entry,
        `delivered ${deliveries - 1} times without an acknowledgement (option durable.maxDeliveries is ${maxDeliveries}): the handler may be crashing its process`,
        0,
        event,
      ).then(finish, fail);
      return;
    }
    if (idempotencyWindowMs === 0) {
      this.invoker.invoke(
        this.record,
        event,
        outcome => {
          const pending = this.settle(entry, event, outcome, undefined);
          if (pending) pending.then(finish, fail);
          else finish();
        },
        group,
        deliveries,
      );
      return;
    }
    const dedupKey = event.metadata.idempotencyKey ?? event.id;
    this.store.isDone(this.stream, group, dedupKey).then(isDone => {
      if (isDone) {
        this.logger.debug(
          `Skipped ${eventTag(event)} for ${this.record.name}: already handled by group ${group} (idempotency).`,
        );
        this.ack(entry.id);
        finish();
        return;
      }
      this.invoker.invoke(
        this.record,
        event,
        outcome => {
          const pending = this.settle(entry, event, outcome, dedupKey);
          if (pending) pending.then(finish, fail);
          else finish();
        },
        group,
        deliveries,
      );
    }, fail);
  }

  /**
   * Acts on a handler's outcome: ack (queued), ack and mark done, leave
   * pending, or dead-letter. Undefined when there is nothing to wait for.
   */
  private settle(
    entry: StreamEntry,
    event: EventEnvelope,
    outcome: HandlerOutcome,
    dedupKey: string | undefined,
  ): Promise<void> | undefined {
    const { group, idempotencyWindowMs } = this.settings;
    switch (outcome.status) {
      case 'delivered':
      case 'filtered':
        if (dedupKey === undefined) {
          this.ack(entry.id);
          return undefined;
        }
        return this.store.ackAndMarkDone(
          this.stream,
          group,
          entry.id,
          dedupKey,
          idempotencyWindowMs,
        );
      case 'aborted':
        // Shutting down mid-retry: leave it pending for another consumer.
        return undefined;
      case 'failed':
        return this.deadLetterFailed(entry, event, outcome);
    }
  }

  private async deadLetterFailed(
    entry: StreamEntry,
    event: EventEnvelope,
    outcome: Extract<HandlerOutcome, { status: 'failed' }>,
  ): Promise<void> {
    const { group } = this.settings;
    const error =
      outcome.error instanceof Error
        ? outcome.error
        : new Error(String(outcome.error));
    await this.store.deadLetter(this.stream, entry, {
      group,
      handler: this.record.name,
      error: error.message,
      stack: error.stack,
      attempts: outcome.attempts,
      firstFailureAt: outcome.firstFailureAt,
      lastFailureAt: outcome.lastFailureAt,
    });
    this.metrics.recordDeadLetter(event.type);
    this.logger.limited(
      'durable dead letter',
      'warn',
      `Dead-lettered ${eventTag(event)} for group ${group} after ${outcome.attempts} attempt(s): ${error.message}`,
    );
  }

  /**
   * Acknowledges with one XACK per turn of the event loop for every entry that
   * finished in it, instead of one command per entry. Not waited for: an
   * entry's slot is free once its ack is queued, so the next XREADGROUP goes
   * out without waiting for the XACK's round trip. On Redis trouble the entries
   * stay pending and come back after claimIdleMs, as after a crash.
   */
  private ack(id: string): void {
    this.ackQueue.push(id);
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(this.flushAcks);
  }

  private readonly flushAcks = (): void => {
    this.ackScheduled = false;
    const ids = this.ackQueue;
    this.ackQueue = [];
    const sent: Promise<void> = this.store
      .ack(this.stream, this.settings.group, ids)
      .catch((error: Error) =>
        this.logger.limited(
          'durable ack',
          'warn',
          `${ids.length} handled entr${ids.length === 1 ? 'y' : 'ies'} of stream "${this.stream}" (from ${ids[0]}) stay pending for group ${this.settings.group}: ${error.message}`,
        ),
      )
      .finally(() => this.acksInFlight.delete(sent));
    this.acksInFlight.add(sent);
  };

  /** Resolves when every queued ack has been answered (or has failed). */
  private async acksSettled(): Promise<void> {
    while (this.ackScheduled || this.acksInFlight.size > 0) {
      if (this.acksInFlight.size > 0) await Promise.all(this.acksInFlight);
      else await new Promise(resolve => setImmediate(resolve));
    }
  }

  private async deadLetter(
    entry: StreamEntry,
    reason: string,
    attempts: number,
    event?: EventEnvelope,
  ): Promise<void> {
    const now = new Date().toISOString();
    await this.store.deadLetter(this.stream, entry, {
      group: this.settings.group,
      handler: this.record.name,
      error: reason,
      attempts,
      firstFailureAt: now,
      lastFailureAt: now,
    });
    this.metrics.recordDeadLetter(event?.type);
    this.logger.limited(
      'durable dead letter',
      'warn',
      `Dead-lettered ${event ? eventTag(event) : `entry ${entry.id}`} of stream "${this.stream}" for group ${this.settings.group}: ${reason}`,
    );
  }

  /**
   * An entry that holds no event this bus can read (no "e" field, not JSON, another envelope
   * version, over maxEventBytes, deeper than maxDepth): a dead letter with the reason, never a
   * silent ack, so that whoever writes it can be found (issue 15).
   */
  private async deadLetterMalformed(
    entry: StreamEntry,
    reason: string,
  ): Promise<void> {
    const now = new Date().toISOString();
    const { group } = this.settings;
    await this.store.deadLetter(this.stream, entry, {
      group,
      handler: this.record.name,
      error: `malformed entry: ${reason}`,
      attempts: 0,
      firstFailureAt: now,
      lastFailureAt: now,
    });
    this.metrics.recordMalformed(undefined);
    this.metrics.recordDeadLetter(undefined);
    this.logger.limited(
      'malformed durable entry',
      'warn',
      `Dead-lettered malformed entry ${entry.id} of stream "${this.stream}" for group ${group} (${Buffer.byteLength(entry.payload)} bytes): ${reason}. Is a foreign client writing to the bus' streams?`,
    );
  }
}

function safeFilter(
  filter: (event: unknown) => boolean,
  event: EventEnvelope,
): boolean {
  try {
    return filter(event);
  } catch {
    return false;
  }
}
