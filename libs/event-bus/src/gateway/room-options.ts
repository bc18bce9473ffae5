import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type { RoomHistoryOptions } from '../interfaces/event-bus-options.interface.js';
import type {
  ResolvedRoomHistoryOptions,
  RoomHistoryLimits,
} from '../rooms/room-history.interface.js';
import { isValidRoomName } from '../rooms/room-names.js';
import {
  assertIntegerIn,
  assertKnownKeys,
  assertNumber,
  assertTypeOf,
  isOptionsObject,
  optionKeys,
} from '../validation/option-keys.util.js';
import type { SocketIdentity } from './interfaces.js';

/**
 * What the gateway's `rooms` option sets for the rooms of one name or prefix.
 *
 * @publicApi
 */
export interface GatewayRoomOptions {
  /**
   * The rooms' history: replaces the bus' `roomHistory` limits for them
   * (`false`: none kept; an object turns it on even where the bus' is off).
   * What is left out takes the bus' value (or its default).
   * @example { maxLength: 500, maxAgeMs: 86_400_000 }
   */
  history?: RoomHistoryOptions | false;
  /**
   * Whether the rooms' members get `presence:join` / `presence:leave` when a
   * user's first socket joins or last socket leaves, and `presence` counts.
   * @default false
   */
  presence?: boolean;
  /**
   * Who may send into the rooms from a socket (`signal`): `'members'` (any
   * socket in the room), `'nobody'` (receive-only) or `{ permission }` (members
   * whose token carries it). Only narrows: `global` and `receiveOnlyRooms`
   * stay receive-only whatever it says; `signals.canSignal` replaces it.
   * @default 'members'
   */
  publish?: 'members' | 'nobody' | { permission: string };
}

/** One room's options with the defaults applied. */
export interface ResolvedRoomOptions {
  history: RoomHistoryLimits | false;
  presence: boolean;
  publish: 'members' | 'nobody' | { permission: string };
}

const OWNER = 'EventBusGatewayModule';
const ROOM_KEYS = optionKeys<GatewayRoomOptions>({
  history: true,
  presence: true,
  publish: true,
});
const HISTORY_KEYS = optionKeys<RoomHistoryOptions>({
  maxLength: true,
  maxAgeMs: true,
});
const MIN_AGE_MS = 1000;
/** A history page scans the room's kept ids (decoding only the page's events): keep it to what a page can scan. */
const MAX_LENGTH = 10_000;

/** Whether `key` is a room name or a prefix of room names ending in `*` (`*` alone: every room). */
function isRoomKey(key: string): boolean {
  if (!key.endsWith('*')) return isValidRoomName(key);
  const prefix = key.slice(0, -1);
  return prefix === '' || isValidRoomName(`${prefix}x`);
}

function checkEntry(key: string, value: unknown): void {
  const path = `rooms.${key}`;
  if (!isRoomKey(key))
    throw new InvalidConfigurationError(
      `Gateway option "rooms" has the key ${JSON.stringify(key)}: give room names or prefixes ending in "*", e.g. { 'chat:*': { presence: true } }.`,
    );
  assertKnownKeys(path, value, ROOM_KEYS, {}, OWNER);
  if (value === undefined)
    throw new InvalidConfigurationError(
      `Gateway option "${path}" is undefined: give its options, e.g. { presence: true }.`,
    );
  const options = value as GatewayRoomOptions;
  if (options.history !== false) {
    assertKnownKeys(
      `${path}.history`,
      options.history,
      HISTORY_KEYS,
      {},
      OWNER,
    );
    assertIntegerIn(
      `${path}.history.maxLength`,
      options.history?.maxLength,
      1,
      MAX_LENGTH,
      OWNER,
    );
    assertNumber(
      `${path}.history.maxAgeMs`,
      options.history?.maxAgeMs,
      MIN_AGE_MS,
      OWNER,
    );
  }
  assertTypeOf(`${path}.presence`, options.presence, 'boolean', OWNER);
  const publish: unknown = options.publish;
  if (
    publish !== undefined &&
    publish !== 'members' &&
    publish !== 'nobody' &&
    !(
      isOptionsObject(publish) &&
      Object.keys(publish).length === 1 &&
      typeof publish.permission === 'string' &&
      publish.permission !== ''
    )
  )
    throw new InvalidConfigurationError(
      `Gateway option "${path}.publish" is ${JSON.stringify(publish)}: use 'members', 'nobody' or { permission: 'some:permission' }.`,
    );
}

/**
 * The gateway's `rooms` option, resolved: each room's options come from the
 * entry of its exact name, else of the longest prefix that matches it, else the
 * defaults. One entry applies alone: what it leaves out takes the defaults, not
 * a shorter prefix's values.
 */
export class RoomPolicy {
  private readonly exact = new Map<string, GatewayRoomOptions>();
  /** Longest prefix first. */
  private readonly prefixes: Array<[string, GatewayRoomOptions]>;
  /** Whether any entry turns presence on: without, the gateway tracks no room. */
  readonly anyPresence: boolean;

  constructor(rooms: Record<string, GatewayRoomOptions> = {}) {
    const prefixes: Array<[string, GatewayRoomOptions]> = [];
    for (const [key, options] of Object.entries(rooms)) {
      if (key.endsWith('*')) prefixes.push([key.slice(0, -1), options]);
      else this.exact.set(key, options);
    }
    this.prefixes = prefixes.sort(([a], [b]) => b.length - a.length);
    this.anyPresence = Object.values(rooms).some(o => o.presence === true);
  }

  /** Refuses a `rooms` option the gateway would not read, naming the key. */
  static check(rooms: unknown): void {
    if (rooms === undefined) return;
    if (!isOptionsObject(rooms))
      throw new InvalidConfigurationError(
        `Gateway option "rooms" is ${JSON.stringify(rooms)}: give room names or prefixes with their options, e.g. { 'chat:*': { presence: true, history: { maxLength: 500 } } }.`,
      );
    for (const [key, value] of Object.entries(rooms)) checkEntry(key, value);
  }

  /** The entry that applies to `room`, if any. */
  entryFor(room: string): GatewayRoomOptions | undefined {
    const exact = this.exact.get(room);
    if (exact) return exact;
    return this.prefixes.find(([prefix]) => room.startsWith(prefix))?.[1];
  }

  /** `room`'s options, the history's limits falling back to the bus' `busHistory`. */
  resolve(
    room: string,
    busHistory: ResolvedRoomHistoryOptions,
  ): ResolvedRoomOptions {
    const entry = this.entryFor(room);
    return {
      history: historyLimits(entry?.history, busHistory),
      presence: entry?.presence === true,
      publish: entry?.publish ?? 'members',
    };
  }

  /** `room`'s history limits (false: none kept). */
  history(
    room: string,
    busHistory: ResolvedRoomHistoryOptions,
  ): RoomHistoryLimits | false {
    return historyLimits(this.entryFor(room)?.history, busHistory);
  }

  /** Whether `room`'s members get join and leave events. */
  presence(room: string): boolean {
    return this.entryFor(room)?.presence === true;
  }

  /** Whether `publish` lets `identity` send into `room` (receive-only rooms are checked apart). */
  maySend(identity: SocketIdentity, room: string): boolean {
    const publish = this.entryFor(room)?.publish ?? 'members';
    if (publish === 'members') return true;
    if (publish === 'nobody') return false;
    return identity.permissions.includes(publish.permission);
  }
}

function historyLimits(
  history: GatewayRoomOptions['history'],
  bus: ResolvedRoomHistoryOptions,
): RoomHistoryLimits | false {
  if (history === false) return false;
  if (history === undefined) return bus.enabled ? bus : false;
  // The bus' defaults when its own history is off (it then resolves to zeros).
  return {
    maxLength: history.maxLength ?? (bus.enabled ? bus.maxLength : 100),
    maxAgeMs: history.maxAgeMs ?? (bus.enabled ? bus.maxAgeMs : 300_000),
  };
}
