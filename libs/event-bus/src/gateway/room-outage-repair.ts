import type { Subscription } from 'rxjs';
import type { EventBusLogger } from '../event-bus.logger.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import type { EventTransport } from '../interfaces/transport.interface.js';
import type { EventPublisher } from '../publishing/event-publisher.js';
import { MAX_HISTORY_LIMIT } from '../rooms/room-history-page.js';
import type { RoomHistoryLimits } from '../rooms/room-history.interface.js';
import type { GatewayCounters } from './gateway-counters.js';
import type { RoomDelivery } from './room-delivery.js';

/**
 * A room with no delivery here before the outage gets the events published
 * from this long before the outage was noticed: the subscriber may have been
 * cut a moment before its connection reported it.
 */
const OUTAGE_SLACK_MS = 2000;
/** Attempts to read the histories once the subscriber is back, this far apart. */
const REPAIR_ATTEMPTS = 5;
const REPAIR_RETRY_MS = 1000;
const PING_TIMEOUT_MS = 5000;
/** Room histories read at once. */
const READ_BATCH = 100;

interface Outage {
  /** When the bus connection was seen going away (ms). */
  since: number;
  /** room → the last event this instance delivered there before. */
  anchors: Map<string, string>;
  /** The transport's `subscriberLosses` then: unchanged when back, the subscriber never went away. */
  losses?: number;
  /** The transport went away again while this outage was being repaired. */
  again?: boolean;
}

/**
 * Room events published while this instance's bus subscriber is away (a Redis
 * restart, the subscriber cut) are acked to their publisher and kept in the
 * room history, yet never reach this instance's sockets, which did not
 * disconnect and so never recover them. Once the transport is ready again,
 * every room with sockets here gets its history after the last event this
 * instance delivered there (no delivery yet: the events published since the
 * outage began), in order, without the ones that came live meanwhile (live
 * room events wait until the repair is done). What the history cannot supply
 * (the room keeps none, or it was trimmed past the outage) is counted
 * (`roomsNotRepaired`) and warned about. Nothing to do on the memory
 * transport: it has no outage.
 */
export class RoomOutageRepair {
  private subscription?: Subscription;
  private outage?: Outage;
  private repairing = false;
  /** The transport came back while a repair was under way: repair again after it. */
  private rerun = false;
  private stopped = false;

  constructor(
    private readonly transport: EventTransport,
    private readonly publisher: EventPublisher,
    private readonly delivery: RoomDelivery,
    /** `room`'s history limits (false: none kept). */
    private readonly historyOf: (room: string) => RoomHistoryLimits | false,
    private readonly counters: GatewayCounters,
    private readonly logger: EventBusLogger,
  ) {}

  start(): void {
    if (this.transport.kind === 'memory') return;
    let wasReady = false;
    this.subscription = this.transport.status$.subscribe(status => {
      if (status === 'ready') {
        wasReady = true;
        if (this.outage) void this.repair();
      } else if (status !== 'closed' && wasReady) {
        if (this.outage) this.outage.again = true;
        // NOTE: reported before the transport counts the subscriber's loss, so this is the count before it.
        else
          this.outage = {
            since: Date.now(),
            anchors: this.delivery.beginOutage(),
            losses: this.transport.subscriberLosses,
          };
      }
    });
  }

  stop(): void {
    this.stopped = true;
    this.subscription?.unsubscribe();
    if (this.outage) this.delivery.endOutage();
    this.outage = undefined;
  }

  private async repair(): Promise<void> {
    if (this.repairing) {
      this.rerun = true;
      return;
    }
    this.repairing = true;
    this.rerun = false;
    try {
      for (let attempt = 1; attempt <= REPAIR_ATTEMPTS; attempt++) {
        const outage = this.outage;
        if (!outage || this.stopped) return;
        const lost =
          outage.losses === undefined ||
          this.transport.subscriberLosses !== outage.losses;
        // Only the publisher was away: every event came live.
        if (!lost) return this.finish([]);
        // Held events went out before the replay could: replaying now would double them.
        if (this.delivery.overflowed)
          return this.finish(this.delivery.localRooms());
        if (await this.subscribed()) {
          const notRepaired = await this.replayRooms(outage);
          if (!notRepaired) return;
          if (outage.again) {
            // Away again meanwhile: what was replayed stays delivered; the next pass starts after it.
            this.outage = {
              since: outage.since,
              anchors: this.delivery.beginOutage(),
              losses: outage.losses,
            };
            this.rerun = true;
            return;
          }
          this.finish(notRepaired);
          return;
        }
        // Away again: the next 'ready' repairs, the outage and its held events kept.
        if (!this.transport.isConnected()) return;
        await new Promise(resolve =>
          setTimeout(resolve, REPAIR_RETRY_MS).unref(),
        );
      }
      // Never got to read the histories: every room with sockets here may have missed events.
      if (this.outage) this.finish(this.delivery.localRooms());
    } finally {
      this.repairing = false;
      // Back while this pass ran (else the next 'ready' starts one).
      if (this.rerun && this.outage && this.transport.isConnected())
        void this.repair();
    }
  }

  /**
   * Whether the subscriber has resubscribed. The transport queues its
   * SUBSCRIBEs in the tick it reports ready; a PING queued after them on the
   * same connection is answered after them.
   */
  private async subscribed(): Promise<boolean> {
    await new Promise(resolve => setImmediate(resolve));
    const health = await this.transport.ping(PING_TIMEOUT_MS);
    return health.every(connection => connection.status === 'up');
  }

  /** Replays each room's missed events; answers the rooms not repaired (undefined: stopped). */
  private async replayRooms(outage: Outage): Promise<string[] | undefined> {
    const notRepaired: string[] = [];
    const rooms = this.delivery.localRooms().filter(room => {
      if (this.historyOf(room)) return true;
      notRepaired.push(room);
      return false;
    });
    // Read in batches: an instance with thousands of sockets has thousands of rooms.
    for (let i = 0; i < rooms.length; i += READ_BATCH) {
      const batch = rooms.slice(i, i + READ_BATCH);
      const read = await Promise.all(
        batch.map(room =>
          this.missed(
            room,
            outage.anchors.get(room),
            outage.since - OUTAGE_SLACK_MS,
          ).catch((error: Error) => {
            this.logger.limited(
              'room history unreadable',
              'warn',
              `Could not read the history of room "${room}" after a bus outage: ${error.message}.`,
            );
            return undefined;
          }),
        ),
      );
      if (this.outage !== outage || this.stopped) return undefined;
      batch.forEach((room, index) => {
        const missed = read[index];
        if (missed) this.delivery.replayMissed(room, missed.events);
        if (!missed?.complete) notRepaired.push(room);
      });
    }
    return notRepaired;
  }

  /** The events of `room` after `anchor` (or else published from `from`); `complete`: none left out. */
  private async missed(
    room: string,
    anchor: string | undefined,
    from: number,
  ): Promise<{ events: EventEnvelope[]; complete: boolean }> {
    if (anchor !== undefined) {
      const replay = await this.publisher.replayRoom(room, anchor);
      if (replay.recovered) return { events: replay.events, complete: true };
    }
    const page = await this.publisher.readRoomHistory(room, {
      limit: MAX_HISTORY_LIMIT,
    });
    const events = page.events.filter(
      event => Date.parse(event.metadata.timestamp) >= from,
    );
    // Trimmed past the anchor, or the whole page is from the outage and older ones exist.
    const complete =
      anchor === undefined &&
      !(page.hasMore && events.length === page.events.length);
    return { events, complete };
  }

  private finish(notRepaired: string[]): void {
    this.outage = undefined;
    this.delivery.endOutage();
    if (notRepaired.length === 0) return;
    this.counters.roomsNotRepaired += notRepaired.length;
    const shown = notRepaired.slice(0, 5).join('", "');
    this.logger.limited(
      'rooms not repaired',
      'warn',
      `After a bus outage, ${notRepaired.length} room(s) with sockets on this instance ("${shown}"${notRepaired.length > 5 ? ', …' : ''}) may have missed events their history could not supply (no history kept, or trimmed past the outage). See roomsNotRepaired in the gateway stats.`,
    );
  }
}
