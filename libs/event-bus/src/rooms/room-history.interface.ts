/** What a room's history answers to `since(room, lastEventId)`. */
export interface RoomReplay {
  /** False when `lastEventId` is no longer kept (too old, trimmed, or never seen). */
  recovered: boolean;
  /** Serialized envelopes published to the room after `lastEventId`, oldest first. */
  payloads: string[];
}

/** One kept event of a room's history. */
export interface RoomHistoryEntry {
  id: string;
  payload: string;
}

/** How much of one room's history is kept: the bus' `roomHistory`, or the gateway's `rooms` option for that room. */
export interface RoomHistoryLimits {
  maxLength: number;
  maxAgeMs: number;
}

/**
 * Capped per-room history of the events published to a room, for clients that
 * reconnect with the id of the last event they saw and for history pages.
 * Every method takes the room's limits; without them the store's own (the
 * bus' `roomHistory`) apply.
 */
export interface RoomHistoryStore {
  /** Keeps one serialized envelope. Sends its command in the calling tick. */
  append(
    room: string,
    eventId: string,
    payload: string,
    limits?: RoomHistoryLimits,
  ): Promise<void>;
  since(
    room: string,
    lastEventId: string,
    limits?: RoomHistoryLimits,
  ): Promise<RoomReplay>;
  /** Every entry still kept (within `maxLength` and `maxAgeMs`), oldest first. */
  entries(
    room: string,
    limits?: RoomHistoryLimits,
  ): Promise<RoomHistoryEntry[]>;
}

/** History limits with defaults applied. */
export interface ResolvedRoomHistoryOptions extends RoomHistoryLimits {
  enabled: boolean;
}
