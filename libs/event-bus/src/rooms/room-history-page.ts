/** Events a history page holds when the request gives no `limit`. */
export const DEFAULT_HISTORY_LIMIT = 50;
/** Most events one history page holds. */
export const MAX_HISTORY_LIMIT = 500;

/** Which part of a room's history to read (`getRoomHistory`, the socket's `history`). */
export interface RoomHistoryQuery {
  /** An event id: the events after it (exclusive), oldest first; `hasMore` then says newer ones follow. */
  since?: string;
  /** An event id: the events right before it (exclusive); `hasMore` then says older ones precede. */
  before?: string;
  /** At most this many events. @default 50 (at most 500) */
  limit?: number;
}

/** One page of a room's history, oldest first. */
export interface RoomHistoryPage<T> {
  events: T[];
  /**
   * More events are kept beyond this page: after it with `since` (ask again
   * with the last id as `since`), before it otherwise (ask again with the
   * first id as `before`).
   */
  hasMore: boolean;
  /**
   * False when `since` or `before` is no longer kept (trimmed, expired or never
   * seen): the page is then empty; ask without it for the newest events.
   */
  recovered: boolean;
}

/**
 * The page of `kept` (a room's history, oldest first) that `query` asks for:
 * the `limit` events after `since`, the `limit` before `before`, or else the
 * newest `limit`.
 */
export function historyPage<T extends { id: string }>(
  kept: readonly T[],
  query: RoomHistoryQuery,
): RoomHistoryPage<T> {
  const limit = query.limit ?? DEFAULT_HISTORY_LIMIT;
  const cursor = query.since ?? query.before;
  if (cursor === undefined)
    return {
      events: kept.slice(-limit),
      hasMore: kept.length > limit,
      recovered: true,
    };
  const index = kept.findIndex(event => event.id === cursor);
  if (index < 0) return { events: [], hasMore: false, recovered: false };
  if (query.since !== undefined) {
    const after = kept.slice(index + 1);
    return {
      events: after.slice(0, limit),
      hasMore: after.length > limit,
      recovered: true,
    };
  }
  const before = kept.slice(0, index);
  return {
    events: before.slice(-limit),
    hasMore: before.length > limit,
    recovered: true,
  };
}
