import { randomUUID } from 'node:crypto';
import type { Server } from 'socket.io';
import type { EventBusLogger } from '../event-bus.logger.js';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import type { Subscription } from '../interfaces/publish.interface.js';
import { compilePattern, isValidPattern } from '../matching/pattern-matcher.js';
import { GLOBAL_ROOM, targetRoom } from '../rooms/room-names.js';
import type { EventRouter } from '../routing/event-router.js';
import type { GatewayCounters } from './gateway-counters.js';
import { SERVER_EVENTS } from './gateway.constants.js';
import { toClientEvent } from './room-delivery.js';

/** `globalEvents` when not given: the seeds' `system.health`, `system.maintenance`… */
export const DEFAULT_GLOBAL_EVENTS = ['system.**'];

/** The gateway option `globalEvents`, checked. */
export function resolveGlobalEvents(value: unknown): string[] {
  const patterns = value ?? DEFAULT_GLOBAL_EVENTS;
  if (
    !Array.isArray(patterns) ||
    !patterns.every(p => typeof p === 'string' && isValidPattern(p))
  ) {
    throw new InvalidConfigurationError(
      `Gateway option "globalEvents" is ${JSON.stringify(value)}: give event patterns, e.g. ['system.**'], or [] for none.`,
    );
  }
  return [...new Set(patterns as string[])];
}

/**
 * Plain bus events of the `globalEvents` patterns → every socket of this
 * instance, in `global`, as room events are (`ClientEvent` with `room:
 * 'global'`). A `publish('system.maintenance', …)` reaches every browser
 * without `broadcast: true`, as the seeds expect. Each instance subscribes
 * to the patterns on the bus and emits to its own sockets only (`local`), so
 * every socket gets each event once.
 *
 * Left out, so that nothing arrives twice or from a client:
 * - events with a target (`broadcast: true`, `publishToRoom`, `publishToUser`):
 *   the gateway route delivers those already;
 * - events a socket published (`clientId` set): a client never speaks to
 *   every other client through this;
 * - `system.shutdown`: the gateway's own notice, which clients act on.
 *
 * Not in the room history of `global` (they are not published to a room), so
 * a reconnecting socket does not get the ones it missed.
 */
export class GlobalDelivery {
  private server?: Server;
  private readonly subscriptions: Subscription[] = [];
  private readonly matchers: Array<(type: string) => boolean>;

  constructor(
    private readonly patterns: string[],
    private readonly router: EventRouter,
    private readonly counters: GatewayCounters,
    private readonly logger: EventBusLogger,
  ) {
    this.matchers = patterns.map(compilePattern);
  }

  attach(server: Server): void {
    this.server = server;
  }

  async start(): Promise<void> {
    for (const [index, pattern] of this.patterns.entries()) {
      this.subscriptions.push(
        await this.router.add(
          pattern,
          event => this.deliver(event, index),
          { retry: { maxRetries: 0 }, concurrency: 1000 },
          `EventBusGateway.globalEvents(${pattern})`,
          randomUUID(),
        ),
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.subscriptions
        .splice(0)
        .map(s => s.unsubscribe().catch(() => undefined)),
    );
  }

  /** `index`: the pattern that heard it; of overlapping patterns only the first one delivers. */
  private deliver(event: EventEnvelope, index: number): void {
    if (!this.server) return;
    if (this.matchers.findIndex(match => match(event.type)) !== index) return;
    const { metadata } = event;
    if (
      targetRoom(metadata) !== undefined ||
      metadata.clientId !== undefined ||
      event.type === SERVER_EVENTS.shutdown
    )
      return;
    try {
      this.server.local
        .to(GLOBAL_ROOM)
        .emit(event.type, toClientEvent(event, GLOBAL_ROOM));
      this.counters.eventsEmitted++;
    } catch (error) {
      this.logger.limited(
        'global emit failed',
        'warn',
        `Could not emit ${event.type} to room "${GLOBAL_ROOM}": ${(error as Error).message}.`,
      );
    }
  }
}
