import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DeadLetterService } from '../durable/dead-letter.service.js';
import { DurableManager } from '../durable/durable.manager.js';
import type {
  DeadLetter,
  StreamDescription,
} from '../durable/stream-store.interface.js';
import { DeadLetterNotReplayableError } from '../errors/dead-letter-not-replayable.error.js';
import { EventBusService } from '../event-bus.service.js';
import { within } from '../within.util.js';
import { ADMIN_CONFIG } from './admin.constants.js';
import type { ResolvedAdminConfig } from './admin.config.js';
import { adminMessages } from './admin.messages.js';
import { InstanceReporter } from './instance-reporter.js';
import {
  sumTypeRates,
  type InstanceReport,
  type TypeRate,
} from './instance-report.js';

/** Characters of a payload a list shows; one dead letter (`GET …/dead-letters/:stream/:id`) has it whole. */
const LIST_PAYLOAD_CHARS = 4096;
const MAX_PAGE = 500;
/** Longest a dashboard request waits on Redis before answering 503. */
const READ_TIMEOUT_MS = 5000;
const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;
const STREAM_NAME = /^[^\s{}]{1,200}$/;

/** A dead letter as the list shows it: the payload cut to its first characters. */
export type DeadLetterRow = DeadLetter & {
  payloadLength: number;
  payloadTruncated: boolean;
};

/** One page of dead letters, oldest first; `next` pages on (null on the last page). */
export interface DeadLetterPage {
  letters: DeadLetterRow[];
  next: string | null;
  total: number;
}

/** Everything the dashboard shows but the dead letters, in one answer. */
export interface AdminOverview {
  at: string;
  refreshMs: number;
  readOnly: boolean;
  transport: 'memory' | 'redis';
  connected: boolean;
  streams: StreamDescription[];
  deadLetters: number;
  instances: InstanceReport[];
  /** Per type label, added up over the instances; null when no instance counts per type (`metrics` off). */
  rates: TypeRate[] | null;
}

/**
 * What the dashboard's API answers, built on what operators already have:
 * the stream store (lengths, groups, consumers), `DeadLetterService` (the same
 * replay as the `dlq` command line) and the instances' reports.
 */
@Injectable()
export class EventBusAdminService {
  constructor(
    @Inject(ADMIN_CONFIG) private readonly config: ResolvedAdminConfig,
    private readonly bus: EventBusService,
    private readonly deadLetters: DeadLetterService,
    private readonly reporter: InstanceReporter,
    private readonly moduleRef: ModuleRef,
  ) {}

  async overview(): Promise<AdminOverview> {
    const stats = this.bus.getStats();
    const [streams, instances] = await this.read(() =>
      Promise.all([this.streams(), this.reporter.instances()]),
    );
    const counting = instances.some(i => i.types !== null);
    return {
      at: new Date().toISOString(),
      refreshMs: this.config.refreshMs,
      readOnly: this.config.readOnly,
      transport: stats.transport,
      connected: stats.connected,
      streams,
      deadLetters: streams.reduce((sum, s) => sum + s.deadLetters, 0),
      instances,
      rates: counting ? sumTypeRates(instances) : null,
    };
  }

  /**
   * Every stream that has received durable events or that a durable pattern
   * names (a group waiting for its first event), with its groups and consumers.
   */
  async streams(): Promise<StreamDescription[]> {
    // NOTE: an internal provider of EventBusModule (not exported to apps): looked up across modules.
    const store = this.moduleRef.get(DurableManager, { strict: false }).store;
    const [used, patterns] = await Promise.all([
      store.streams(),
      store.patterns(),
    ]);
    const named = [...patterns.keys()]
      .map(pattern => pattern.split('.')[0])
      .filter(segment => !segment.includes('*'));
    const names = [...new Set([...used, ...named])].sort();
    return Promise.all(names.map(name => store.describe(name)));
  }

  async instances(): Promise<InstanceReport[]> {
    return this.read(() => this.reporter.instances());
  }

  async deadLetterPage(query: {
    stream?: string;
    limit?: string;
    after?: string;
  }): Promise<DeadLetterPage> {
    const stream = optional(
      query.stream,
      'stream',
      STREAM_NAME,
      'a stream name',
    );
    const after = optional(query.after, 'after', ENTRY_ID, 'a dead letter id');
    const limit = pageSize(query.limit);
    const [letters, total] = await this.read(() =>
      Promise.all([
        // One more than asked: whether there is a next page, without counting.
        this.deadLetters.list({ stream, after, count: limit + 1 }),
        this.deadLetters.count(stream),
      ]),
    );
    const page = letters.slice(0, limit);
    return {
      letters: page.map(toRow),
      next: letters.length > limit ? page[page.length - 1].id : null,
      total,
    };
  }

  async deadLetter(stream: string, id: string): Promise<DeadLetter> {
    checkAddress(stream, id);
    const letter = await this.read(() => this.deadLetters.get(stream, id));
    if (!letter)
      throw new NotFoundException(adminMessages.deadLetterNotFound(stream, id));
    return letter;
  }

  async replay(stream: string, id: string): Promise<{ replayed: true }> {
    checkAddress(stream, id);
    let found: boolean;
    try {
      found = await this.read(() => this.deadLetters.replay(stream, id));
    } catch (error) {
      if (error instanceof DeadLetterNotReplayableError)
        throw new ConflictException(error.message);
      throw error;
    }
    if (!found)
      throw new NotFoundException(adminMessages.deadLetterNotFound(stream, id));
    return { replayed: true };
  }

  async delete(stream: string, id: string): Promise<{ deleted: true }> {
    checkAddress(stream, id);
    const found = await this.read(() => this.deadLetters.delete(stream, id));
    if (!found)
      throw new NotFoundException(adminMessages.deadLetterNotFound(stream, id));
    return { deleted: true };
  }

  /**
   * Runs a read on the store. While Redis is away its commands would wait in
   * ioredis' offline queue: the dashboard answers 503 at once, or after
   * READ_TIMEOUT_MS, instead of hanging.
   */
  private async read<T>(run: () => Promise<T>): Promise<T> {
    if (!this.bus.isConnected())
      throw new ServiceUnavailableException(
        adminMessages.durableUnavailable('the event bus is not connected.'),
      );
    const timedOut = Symbol('timeout');
    let result: T | typeof timedOut;
    try {
      result = await within(run(), READ_TIMEOUT_MS, timedOut);
    } catch (error) {
      if (error instanceof DeadLetterNotReplayableError) throw error;
      throw new ServiceUnavailableException(
        adminMessages.durableUnavailable((error as Error).message),
      );
    }
    if (result === timedOut)
      throw new ServiceUnavailableException(
        adminMessages.durableUnavailable(
          `no answer within ${READ_TIMEOUT_MS} ms.`,
        ),
      );
    return result;
  }
}

function toRow(letter: DeadLetter): DeadLetterRow {
  const truncated = letter.payload.length > LIST_PAYLOAD_CHARS;
  return {
    ...letter,
    payload: truncated
      ? letter.payload.slice(0, LIST_PAYLOAD_CHARS)
      : letter.payload,
    payloadLength: letter.payload.length,
    payloadTruncated: truncated,
  };
}

function optional(
  value: string | undefined,
  name: string,
  pattern: RegExp,
  expected: string,
): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value))
    throw new BadRequestException(
      adminMessages.badQuery(name, String(value), expected),
    );
  return value;
}

function pageSize(value: string | undefined): number {
  if (value === undefined || value === '') return 50;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE)
    throw new BadRequestException(
      adminMessages.badQuery(
        'limit',
        String(value),
        `a whole number from 1 to ${MAX_PAGE}`,
      ),
    );
  return n;
}

function checkAddress(stream: string, id: string): void {
  optional(stream, 'stream', STREAM_NAME, 'a stream name');
  optional(id, 'id', ENTRY_ID, 'a dead letter id (<ms>-<seq>)');
}
