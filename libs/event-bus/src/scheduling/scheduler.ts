import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { EventBusMetrics } from '../delivery/event-bus-metrics.js';
import { DurableManager, streamOf } from '../durable/durable.manager.js';
import { EventCodec } from '../envelope/event-codec.js';
import { createEventId, createTraceId } from '../envelope/event-id.util.js';
import { EventBusUnavailableError } from '../errors/event-bus-unavailable.error.js';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { EVENT_BUS_CONFIG, type EventBusConfig } from '../event-bus.config.js';
import {
  ENVELOPE_VERSION,
  EVENT_BUS_TRANSPORT,
} from '../event-bus.constants.js';
import { EventBusLogger } from '../event-bus.logger.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import type {
  ScheduleInfo,
  ScheduleSpec,
} from '../interfaces/scheduling.interface.js';
import type { EventTransport } from '../interfaces/transport.interface.js';
import { EventValidator } from '../validation/event-validator.service.js';
import { within } from '../within.util.js';
import { cronNext } from './cron-next.js';
import { nextEveryDue } from './due-time.js';
import { checkScheduleName, checkScheduleSpec } from './schedule-spec.js';
import type {
  MoveEntry,
  ScheduleRecord,
  ScheduleStore,
  StoredSchedule,
} from './schedule-store.interface.js';
import { schedulingMessages } from './scheduling.messages.js';

/** What makes two declarations of a schedule the same (then the stored due time is kept). */
function sameSchedule(a: ScheduleRecord, b: ScheduleRecord): boolean {
  return (
    a.type === b.type &&
    a.every === b.every &&
    a.cron === b.cron &&
    a.tz === b.tz &&
    JSON.stringify(a.data) === JSON.stringify(b.data)
  );
}

function infoOf(name: string, record: ScheduleRecord): ScheduleInfo {
  return {
    name,
    type: record.type,
    data: record.data,
    ...(record.every !== undefined ? { every: record.every } : {}),
    ...(record.cron !== undefined ? { cron: record.cron } : {}),
    ...(record.tz !== undefined ? { tz: record.tz } : {}),
    nextDueAt: new Date(record.nextDueMs),
  };
}

function parseRecord(text: string): ScheduleRecord | undefined {
  try {
    const record = JSON.parse(text) as ScheduleRecord;
    return typeof record?.type === 'string' &&
      Number.isFinite(record.nextDueMs) &&
      (typeof record.every === 'number' || typeof record.cron === 'string')
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Delayed publishes and repeatable events. Both wait in the transport's
 * schedule store (Redis on the redis transport, so they survive restarts);
 * every `scheduling.pollIntervalMs` the instance that holds a short lease moves
 * what is due into the type's durable stream and publishes it on its fan-out
 * channel, one script per batch. The lease only keeps the other instances idle:
 * each move is atomic per entry (ZREM answers 1 once) and each schedule fire a
 * compare-and-set on its record, so an event is delivered once per due time
 * even when two instances move at the same moment (a lease lapsed mid-tick).
 */
@Injectable()
export class Scheduler
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger: EventBusLogger;
  private readonly codec: EventCodec;
  private readonly owner: string;
  private scheduleStore?: ScheduleStore;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private closed = false;
  private holding = false;

  constructor(
    @Inject(EVENT_BUS_CONFIG) private readonly config: EventBusConfig,
    @Inject(EVENT_BUS_TRANSPORT) private readonly transport: EventTransport,
    private readonly durable: DurableManager,
    private readonly metrics: EventBusMetrics,
    private readonly validator: EventValidator,
  ) {
    this.logger = new EventBusLogger('EventBus:scheduling', config.logLevel);
    this.codec = new EventCodec(config.limits);
    this.owner = `${config.serviceName}@${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  }

  /** Starts moving due entries (unless `scheduling.mover` is false); after every `onModuleInit`, so the bus is connected. */
  onApplicationBootstrap(): void {
    if (!this.config.scheduling.mover || this.closed) return;
    this.timer = setInterval(
      () => void this.tick(),
      this.config.scheduling.pollIntervalMs,
    );
    this.timer.unref();
    void this.tick();
  }

  /** Stops moving and gives the lease up, so another instance takes over on its next tick. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    // NOTE: bounded: a tick waiting on an unreachable Redis must not hold the shutdown (its lease just expires).
    const limit = this.config.shutdownTimeout;
    await within(this.running ?? Promise.resolve(), limit);
    if (this.holding && this.scheduleStore)
      await within(
        this.scheduleStore.releaseLease(this.owner).catch(() => undefined),
        limit,
      );
    await this.scheduleStore?.close();
  }

  /** Stores a checked, encoded event until `dueMs`. */
  async addDelayed(
    type: string,
    payload: string,
    dueMs: number,
  ): Promise<void> {
    if (this.closed)
      throw new EventBusUnavailableError(schedulingMessages.schedulingClosed());
    await this.store().addDelayed(streamOf(type), dueMs, `${type}\n${payload}`);
    this.metrics.scheduling.delayed++;
  }

  /** Delayed events waiting, across instances. */
  async countDelayed(): Promise<number> {
    return this.store().countDelayed();
  }

  /**
   * Creates or updates the schedule `name`. Declaring it again as it is keeps
   * its next due time (an app that declares it on every start does not push
   * it back); a change of timing, type or data starts it anew.
   */
  async schedule(
    name: string,
    spec: ScheduleSpec,
    type: string,
    data: unknown,
  ): Promise<ScheduleInfo> {
    if (this.closed)
      throw new EventBusUnavailableError(schedulingMessages.schedulingClosed());
    checkScheduleName(name);
    const timing = checkScheduleSpec(spec);
    this.validator.validateType(type);
    if (this.validator.hasSchema(type))
      await this.validator.validateData(type, data);
    const now = Date.now();
    // Encoded once now for its checks (size, depth, binary), so that a fire never fails on them.
    const payload = this.codec.encode(this.envelopeOf(type, data, now));
    const copy: unknown = (JSON.parse(payload) as EventEnvelope).data;
    const nextDueMs =
      timing.every !== undefined
        ? now + timing.every
        : await cronNext(timing.cron, timing.tz, now);
    const record: ScheduleRecord = {
      type,
      data: copy,
      ...timing,
      nextDueMs,
    };
    const store = this.store();
    const stored = await store.getSchedule(name);
    const previous = stored && parseRecord(stored.record);
    if (previous && sameSchedule(previous, record))
      return infoOf(name, previous);
    await store.putSchedule({
      name,
      segment: streamOf(type),
      record: JSON.stringify(record),
    });
    return infoOf(name, record);
  }

  /** Every schedule, by name. */
  async listSchedules(): Promise<ScheduleInfo[]> {
    const out: ScheduleInfo[] = [];
    for (const stored of await this.store().listSchedules()) {
      const record = parseRecord(stored.record);
      if (record) out.push(infoOf(stored.name, record));
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Stops and removes a schedule; false when there was none. */
  async cancelSchedule(name: string): Promise<boolean> {
    checkScheduleName(name);
    return this.store().removeSchedule(name);
  }

  private store(): ScheduleStore {
    if (this.scheduleStore) return this.scheduleStore;
    if (!this.transport.createScheduleStore)
      throw new InvalidConfigurationError(
        schedulingMessages.noScheduleStore(this.transport.kind),
      );
    // NOTE: after durable.start(): the schedule store moves entries into the durable streams.
    return (this.scheduleStore = this.transport.createScheduleStore(
      this.config.durable,
      this.durable.store,
    ));
  }

  private envelopeOf(
    type: string,
    data: unknown,
    dueMs: number,
  ): EventEnvelope {
    const traceId = createTraceId();
    return {
      id: createEventId(),
      type,
      data,
      metadata: {
        source: this.config.serviceName,
        timestamp: new Date(dueMs).toISOString(),
        traceId,
        correlationId: traceId,
      },
      version: ENVELOPE_VERSION,
    };
  }

  /** One poll: a tick still running (a slow Redis) makes the next one a no-op. */
  private tick(): Promise<void> {
    if (this.running || this.closed) return this.running ?? Promise.resolve();
    this.running = this.moveDue()
      .catch((error: unknown) =>
        this.logger.limited(
          'scheduling move',
          'warn',
          schedulingMessages.moveFailed((error as Error).message),
        ),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async moveDue(): Promise<void> {
    let store: ScheduleStore;
    try {
      store = this.store();
    } catch {
      return; // durable delivery not started yet (transport down at boot): next tick
    }
    const { leaseMs, batchSize } = this.config.scheduling;
    const holding = await store.acquireLease(this.owner, leaseMs);
    if (holding !== this.holding)
      this.logger.debug(
        holding
          ? `Took the scheduling lease (${this.owner}).`
          : 'Another instance holds the scheduling lease.',
      );
    this.holding = holding;
    if (!holding) return;
    const now = Date.now();
    for (const segment of await store.segments()) {
      for (;;) {
        if (this.closed) return;
        const due = await store.due(segment, now, batchSize);
        const entries: MoveEntry[] = [];
        for (const { member } of due) {
          const split = member.indexOf('\n');
          const type = member.slice(0, Math.max(0, split));
          entries.push({
            member,
            type,
            payload: member.slice(split + 1),
            durable: this.durable.wants(type),
          });
        }
        const moved = await store.move(segment, entries);
        const at = Date.now();
        moved.forEach((wasMoved, i) => {
          if (!wasMoved) return;
          this.metrics.recordPublished(entries[i].type);
          this.metrics.scheduling.recordFired('delayed', at - due[i].dueMs);
        });
        if (due.length < batchSize) break;
      }
    }
    await this.fireSchedules(store, now);
  }

  private async fireSchedules(
    store: ScheduleStore,
    now: number,
  ): Promise<void> {
    for (const stored of await store.listSchedules()) {
      if (this.closed) return;
      const record = parseRecord(stored.record);
      if (!record || record.nextDueMs > now) continue;
      await this.fire(store, stored, record, now).catch((error: unknown) =>
        this.logger.limited(
          'schedule fire',
          'warn',
          schedulingMessages.fireFailed(stored.name, (error as Error).message),
        ),
      );
    }
  }

  private async fire(
    store: ScheduleStore,
    stored: StoredSchedule,
    record: ScheduleRecord,
    now: number,
  ): Promise<void> {
    const nextDueMs =
      record.every !== undefined
        ? nextEveryDue(record.nextDueMs, record.every, now)
        : await cronNext(record.cron!, record.tz, now);
    const fired = await store.fire({
      segment: stored.segment,
      name: stored.name,
      expected: stored.record,
      next: JSON.stringify({ ...record, nextDueMs }),
      type: record.type,
      payload: this.codec.encode(
        this.envelopeOf(record.type, record.data, record.nextDueMs),
      ),
      durable: this.durable.wants(record.type),
    });
    if (!fired) return;
    this.metrics.recordPublished(record.type);
    this.metrics.scheduling.recordFired(
      'schedule',
      Date.now() - record.nextDueMs,
    );
  }
}
