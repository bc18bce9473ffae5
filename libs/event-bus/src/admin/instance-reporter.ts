import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { EventBusMetrics } from '../delivery/event-bus-metrics.js';
import { EventBusLogger } from '../event-bus.logger.js';
import { EventBusService } from '../event-bus.service.js';
import type { GatewayStats } from '../gateway/interfaces.js';
import { EventPublisher } from '../publishing/event-publisher.js';
import { within } from '../within.util.js';
import { ADMIN_CONFIG } from './admin.constants.js';
import type { ResolvedAdminConfig } from './admin.config.js';
import {
  createInstanceRegistry,
  type InstanceRegistry,
} from './instance-registry.js';
import {
  perSecond,
  type InstanceReport,
  type TypeRate,
} from './instance-report.js';

/** Longest a shutdown waits to remove this instance's report (it expires by itself anyway). */
const SHUTDOWN_WAIT_MS = 1000;

interface GatewayLike {
  readonly instanceId: string;
  getStats(): GatewayStats;
}

interface Sample {
  at: number;
  published: number;
  delivered: number;
  byType: Map<string, { published: number; delivered: number; failed: number }>;
}

/**
 * Looks the gateway up, if the app runs one. Imported on demand: apps without
 * the gateway need not install @nestjs/websockets for the dashboard.
 */
async function findGateway(
  moduleRef: ModuleRef,
): Promise<GatewayLike | undefined> {
  try {
    const { EventBusGateway } = await import('../gateway/event-bus.gateway.js');
    return moduleRef.get(EventBusGateway, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * Every `refreshMs`, samples this instance's counters into rates and leaves a
 * report in the instance registry, so that a dashboard served by any instance
 * shows every instance. Stops (and removes its report) on shutdown.
 */
@Injectable()
export class InstanceReporter
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger: EventBusLogger;
  private registry?: InstanceRegistry;
  private timer?: NodeJS.Timeout;
  private gateway?: GatewayLike;
  private metrics?: EventBusMetrics;
  private instanceId = '';
  private previous?: Sample;
  private writing?: Promise<void>;

  constructor(
    @Inject(ADMIN_CONFIG) private readonly config: ResolvedAdminConfig,
    private readonly bus: EventBusService,
    private readonly publisher: EventPublisher,
    private readonly moduleRef: ModuleRef,
  ) {
    this.logger = new EventBusLogger(
      'EventBus:admin',
      publisher.config.logLevel,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    // NOTE: internal providers of EventBusModule (not exported to apps): looked up across modules.
    this.metrics = this.moduleRef.get(EventBusMetrics, { strict: false });
    this.gateway = await findGateway(this.moduleRef);
    this.instanceId =
      this.gateway?.instanceId ??
      `${this.publisher.config.serviceName}@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.registry = createInstanceRegistry(
      this.publisher.transport,
      this.publisher.config.redis?.channelPrefix,
    );
    this.previous = this.sample();
    await this.report();
    this.timer = setInterval(() => void this.report(), this.config.refreshMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    const registry = this.registry;
    if (!registry) return;
    this.registry = undefined;
    // NOTE: with Redis away these would wait in ioredis' offline queue; shutdown does not wait long.
    await within(
      (async () => {
        await this.writing;
        await registry.remove(this.instanceId).catch(() => undefined);
      })(),
      SHUTDOWN_WAIT_MS,
    );
    await registry.close();
  }

  /** The fresh reports of every instance (this one's included). */
  async instances(): Promise<InstanceReport[]> {
    return this.registry ? this.registry.list() : [];
  }

  private sample(): Sample {
    const byType = new Map<
      string,
      { published: number; delivered: number; failed: number }
    >();
    for (const counts of this.metrics?.byType?.labels() ?? [])
      byType.set(counts.label, {
        published: counts.published,
        delivered: counts.delivered,
        failed: counts.failed,
      });
    return {
      at: Date.now(),
      published: this.metrics?.published ?? 0,
      delivered: this.metrics?.delivered ?? 0,
      byType,
    };
  }

  private async report(): Promise<void> {
    const registry = this.registry;
    if (!registry || this.writing) return;
    const report = this.build();
    this.writing = registry
      .write(report)
      .catch(error =>
        this.logger.limited(
          'admin-report',
          'warn',
          `The admin dashboard could not store this instance's report: ${(error as Error).message}`,
        ),
      )
      .finally(() => (this.writing = undefined));
    await this.writing;
  }

  private build(): InstanceReport {
    const now = this.sample();
    const before = this.previous ?? now;
    this.previous = now;
    const seconds = (now.at - before.at) / 1000;
    const stats = this.bus.getStats();
    const types: TypeRate[] | null = this.metrics?.byType
      ? [...now.byType].map(([type, counts]) => {
          const old = before.byType.get(type);
          return {
            type,
            publishedPerSecond: perSecond(
              counts.published - (old?.published ?? 0),
              seconds,
            ),
            deliveredPerSecond: perSecond(
              counts.delivered - (old?.delivered ?? 0),
              seconds,
            ),
            failedPerSecond: perSecond(
              counts.failed - (old?.failed ?? 0),
              seconds,
            ),
          };
        })
      : null;
    const gateway = this.gateway?.getStats();
    return {
      instanceId: this.instanceId,
      service: this.publisher.config.serviceName,
      host: hostname(),
      pid: process.pid,
      reportedAt: now.at,
      staleAfterMs: 3 * this.config.refreshMs,
      bus: {
        transport: stats.transport,
        connected: stats.connected,
        published: stats.eventsPublished,
        delivered: stats.eventsDelivered,
        failed: stats.eventsFailed,
        deadLettered: stats.eventsDeadLettered,
        inFlight: stats.inFlight,
        subscriptions: stats.activeSubscriptions,
        publishedPerSecond: perSecond(
          now.published - before.published,
          seconds,
        ),
        deliveredPerSecond: perSecond(
          now.delivered - before.delivered,
          seconds,
        ),
      },
      types,
      gateway: gateway
        ? {
            sockets: gateway.sockets,
            users: gateway.users,
            connectedClients: gateway.connectedClients,
            activeRooms: gateway.activeRooms,
            eventsEmitted: gateway.eventsEmitted,
          }
        : null,
    };
  }
}
