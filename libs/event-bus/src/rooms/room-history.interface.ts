/** What a room's history answers to `since(room, lastEventId)`. */
export interface RoomReplay {
  /** False when `lastEventId` is no longer kept (too old, trimmed, or never seen). */
  recovered: boolean;
  /** Serialized envelopes published to the room after `lastEventId`, oldest first. */
  payloads: string[];
}

/**
 * Capped per-room history of the events published to a room, for clients that
 * reconnect with the id of the last event they saw.
 */
export interface RoomHistoryStore {
  /** Keeps one serialized envelope. Sends its command in the calling tick. */
  append(room: string, eventId: string, payload: string): Promise<void>;
  since(room: string, lastEventId: string): Promise<RoomReplay>;
}

/** History limits with defaults applied. */
export interface ResolvedRoomHistoryOptions {
  enabled: boolean;
  maxLength: number;
  maxAgeMs: number;
}
