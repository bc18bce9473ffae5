import type {
  ResolvedRoomHistoryOptions,
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

  async append(room: string, eventId: string, payload: string): Promise<void> {
    let kept = this.rooms.get(room);
    if (!kept) this.rooms.set(room, (kept = []));
    kept.push({ id: eventId, at: Date.now(), payload });
    if (kept.length > this.options.maxLength)
      kept.splice(0, kept.length - this.options.maxLength);
  }

  async since(room: string, lastEventId: string): Promise<RoomReplay> {
    const oldest = Date.now() - this.options.maxAgeMs;
    const kept = (this.rooms.get(room) ?? []).filter(
      entry => entry.at >= oldest,
    );
    return replayAfter(kept, lastEventId);
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
