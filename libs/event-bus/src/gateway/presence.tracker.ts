import type { EventBusService } from '../event-bus.service.js';
import { EventBusLogger } from '../event-bus.logger.js';
import type {
  ClientConnectionEvent,
  UserPresenceEvent,
} from '../events/presence.events.js';
import type { SocketIdentity } from './interfaces.js';
import type { PresenceStore, SessionRecord } from './presence.store.js';

/**
 * Presence across instances. Publishes `user.online` when a user's first
 * session connects anywhere, `user.offline` when the last one leaves (or its
 * instance stops heartbeating for `ttlMs`), and `client.connected` /
 * `client.disconnected` for every socket. Best effort: a Redis error is logged
 * and the socket is served anyway.
 */
export class PresenceTracker {
  private readonly logger: EventBusLogger;
  private readonly local = new Map<string, SessionRecord>();
  /** The add of each socket, so that its remove waits for it. */
  private readonly adding = new Map<string, Promise<void>>();
  /** Removes under way, so that stop() waits for them. */
  private readonly removing = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  /** Called with each dead instance this one swept (the room presence removes its sockets too). */
  onDeadInstance?: (instanceId: string) => Promise<void>;
  /** Called when this instance's records were lost and are registered again (the room presence's too). */
  onRecordsLost?: () => Promise<void>;

  constructor(
    readonly instanceId: string,
    private readonly store: PresenceStore,
    private readonly bus: EventBusService,
    private readonly timing: { heartbeatMs: number; ttlMs: number },
    logLevel: ConstructorParameters<typeof EventBusLogger>[1],
  ) {
    this.logger = new EventBusLogger('EventBusGateway:presence', logLevel);
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => (this.beating = undefined));
    }, this.timing.heartbeatMs);
    this.timer.unref();
  }

  /** Records a new socket; publishes `user.online` if it is the user's first session. */
  connected(socketId: string, identity: SocketIdentity): void {
    const session: SessionRecord = {
      socketId,
      userId: identity.userId,
      clientId: identity.clientId,
      ...(identity.sessionId ? { sessionId: identity.sessionId } : {}),
      connectedAt: new Date().toISOString(),
    };
    this.local.set(socketId, session);
    const done = this.add(session).finally(() => this.adding.delete(socketId));
    this.adding.set(socketId, done);
  }

  /**
   * Records a socket gone; publishes `user.offline` if it was the user's last session.
   * @param reason socket.io's disconnect reason, for `client.disconnected`
   */
  disconnected(socketId: string, reason: string): Promise<void> {
    const session = this.local.get(socketId);
    if (!session) return Promise.resolve();
    this.local.delete(socketId);
    const done = this.remove(socketId, session, reason).finally(() =>
      this.removing.delete(done),
    );
    this.removing.add(done);
    return done;
  }

  private async remove(
    socketId: string,
    session: SessionRecord,
    reason: string,
  ): Promise<void> {
    await this.adding.get(socketId);
    try {
      const { removed, remaining } = await this.store.remove(
        this.instanceId,
        session,
      );
      if (!removed) return;
      await this.publishClient('client.disconnected', session, reason);
      if (remaining === 0) await this.publishOffline(session.userId);
    } catch (error) {
      this.logger.warn(
        `Could not record that ${session.userId}/${session.clientId} left: ${(error as Error).message}.`,
      );
    }
  }

  isOnline(userId: string): Promise<boolean> {
    return this.store.count(userId).then(n => n > 0);
  }

  lastSeen(userId: string): Promise<string | undefined> {
    return this.store.lastSeen(userId);
  }

  get localSessions(): number {
    return this.local.size;
  }

  get localUsers(): number {
    return new Set([...this.local.values()].map(s => s.userId)).size;
  }

  /** Removes this instance's sessions (publishing offline where due) and its heartbeat. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    await Promise.all(
      [...this.local.keys()].map(id =>
        this.disconnected(id, 'server shutting down'),
      ),
    );
    await Promise.all([...this.removing]);
    await this.store.leave(this.instanceId).catch(() => undefined);
  }

  private async add(session: SessionRecord): Promise<void> {
    try {
      const sessions = await this.store.add(this.instanceId, session);
      await this.publishClient('client.connected', session);
      if (sessions === 1) {
        const event: UserPresenceEvent = {
          userId: session.userId,
          sessions,
          lastSeen: session.connectedAt,
        };
        await this.bus.publish('user.online', event);
      }
    } catch (error) {
      this.logger.warn(
        `Could not record that ${session.userId}/${session.clientId} connected: ${(error as Error).message}.`,
      );
    }
  }

  private async beat(): Promise<void> {
    try {
      const known = await this.store.heartbeat(this.instanceId);
      if (!known && this.local.size > 0) {
        // Another instance took this one for dead (or Redis lost its data): register again.
        this.logger.warn(
          `This instance's presence was lost (no heartbeat for ${this.timing.ttlMs} ms, or Redis restarted); registering its ${this.local.size} sessions again.`,
        );
        await Promise.all(
          [...this.local.values()].map(session => this.add(session)),
        );
        await this.onRecordsLost?.();
      }
      for (const dead of await this.store.claimDead(this.timing.ttlMs)) {
        if (dead === this.instanceId) continue;
        const purged = await this.store.purge(dead);
        await this.onDeadInstance?.(dead);
        const sessions = purged.reduce(
          (n, user) => n + user.sessions.length,
          0,
        );
        this.logger.log(
          `Gateway instance ${dead} stopped heartbeating; removed its ${sessions} sessions.`,
        );
        for (const user of purged) {
          for (const session of user.sessions)
            await this.publishClient(
              'client.disconnected',
              session,
              'instance stopped heartbeating',
              dead,
            );
          if (user.remaining === 0) await this.publishOffline(user.userId);
        }
      }
    } catch (error) {
      this.logger.warn(
        `Presence heartbeat failed: ${(error as Error).message}. Retrying in ${this.timing.heartbeatMs} ms.`,
      );
    }
  }

  private async publishOffline(userId: string): Promise<void> {
    const lastSeen = new Date().toISOString();
    await this.store.setLastSeen(userId, lastSeen);
    const event: UserPresenceEvent = { userId, sessions: 0, lastSeen };
    await this.bus.publish('user.offline', event);
  }

  private async publishClient(
    type: 'client.connected' | 'client.disconnected',
    session: SessionRecord,
    reason?: string,
    instanceId = this.instanceId,
  ): Promise<void> {
    const at = new Date().toISOString();
    const event: ClientConnectionEvent = {
      userId: session.userId,
      clientId: session.clientId,
      ...(session.sessionId ? { sessionId: session.sessionId } : {}),
      socketId: session.socketId,
      instanceId,
      at,
      timestamp: at,
      ...(reason !== undefined ? { reason } : {}),
    };
    await this.bus.publish(type, event);
  }
}
