import type {
  ResolvedRoomHistoryOptions,
  RoomHistoryEntry,
  RoomHistoryLimits,
  RoomHistoryStore,
  RoomReplay,
} from './room-history.interface.js';

interface Kept {
  id: string;
  at: number;
  payload: string;
}

/** Room history of the memory transport: per-room arrays in this process. */
export class MemoryRoomHistory implements RoomHistoryStore {
  private readonly rooms = new Map<string, Kept[]>();

  constructor(private readonly options: ResolvedRoomHistoryOptions) {}

  async append(
    room: string,
    eventId: string,
    payload: string,
    limits: RoomHistoryLimits = this.options,
  ): Promise<void> {
    let kept = this.rooms.get(room);
    if (!kept) this.rooms.set(room, (kept = []));
    kept.push({ id: eventId, at: Date.now(), payload });
    if (kept.length > limits.maxLength)
      kept.splice(0, kept.length - limits.maxLength);
  }

  async since(
    room: string,
    lastEventId: string,
    limits: RoomHistoryLimits = this.options,
  ): Promise<RoomReplay> {
    return replayAfter(await this.entries(room, limits), lastEventId);
  }

  async entries(
    room: string,
    limits: RoomHistoryLimits = this.options,
  ): Promise<RoomHistoryEntry[]> {
    const oldest = Date.now() - limits.maxAgeMs;
    return (this.rooms.get(room) ?? [])
      .filter(entry => entry.at >= oldest)
      .slice(-limits.maxLength);
  }
}

/** Entries after the one whose id is `lastEventId`; not recovered when it is not among them. */
export function replayAfter(
  kept: ReadonlyArray<{ id: string; payload: string }>,
  lastEventId: string,
): RoomReplay {
  const index = kept.findIndex(entry => entry.id === lastEventId);
  if (index < 0) return { recovered: false, payloads: [] };
  return {
    recovered: true,
    payloads: kept.slice(index + 1).map(entry => entry.payload),
  };
}
