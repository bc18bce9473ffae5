import type { Socket } from 'socket.io';
import type { EventBusLogger } from '../event-bus.logger.js';
import type {
  EventPublisher,
  RoomEvents,
} from '../publishing/event-publisher.js';
import type { GatewayCounters } from './gateway-counters.js';
import type { ClientEvent, GatewayAck } from './interfaces.js';
import { toClientEvent, type RoomDelivery } from './room-delivery.js';

/**
 * `subscribe { room, lastEventId }`: replays the room's events after
 * `lastEventId` from its history, in order, then the live ones that came
 * meanwhile, none lost or doubled in between; `recovered: false` when that id
 * is no longer kept.
 */
export class RoomRecovery {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly delivery: RoomDelivery,
    private readonly counters: GatewayCounters,
    private readonly logger: EventBusLogger,
  ) {}

  async recover(
    socket: Socket,
    room: string,
    lastEventId: string,
  ): Promise<GatewayAck> {
    // What the socket already got live in the room is not sent again.
    const seenLive = socket.rooms.has(room)
      ? this.delivery.seenLive(room, socket.id)
      : undefined;
    // Held back until the replay is out: the socket is not in the room meanwhile.
    if (socket.rooms.has(room)) await socket.leave(room);
    const held: ClientEvent[] = this.delivery.hold(room, socket.id);
    let replay: RoomEvents;
    try {
      replay = await this.publisher.replayRoom(room, lastEventId);
    } catch (error) {
      this.logger.limited(
        'room history unreadable',
        'warn',
        `Could not read the history of room "${room}": ${(error as Error).message}.`,
      );
      replay = { recovered: false, events: [] };
    } finally {
      this.delivery.release(room, socket.id);
    }
    // NOTE: the socket goes back in the room whatever happens below: a socket is always in the rooms it was in.
    const sent = new Set<string>();
    try {
      if (!socket.connected)
        return { ok: false, code: 'unavailable', error: 'disconnected' };
      let replayed = 0;
      let leftOut = false;
      for (const event of replay.events) {
        if (seenLive?.has(event.id)) leftOut = true;
        if (seenLive?.has(event.id) || sent.has(event.id)) continue;
        sent.add(event.id);
        socket.emit(
          this.delivery.eventName(event.type),
          toClientEvent(event, room),
        );
        replayed++;
      }
      for (const event of held) {
        if (sent.has(event.id)) continue;
        sent.add(event.id);
        socket.emit(this.delivery.eventName(event.type), event);
      }
      this.counters.eventsReplayed += replayed;
      const ack: GatewayAck = {
        ok: true,
        recovered: replay.recovered,
        replayed,
      };
      // What it got live came before what is replayed: tell a client that buffers where it belongs.
      if (leftOut) ack.replayOrder = replay.events.map(event => event.id);
      return ack;
    } finally {
      // Same tick as the flush above: no live event can fall in between.
      void socket.join(room);
      this.delivery.watchLive(room, socket.id, sent);
      if (sent.size > 0) this.delivery.rememberReplayed(room, socket.id, sent);
    }
  }
}
