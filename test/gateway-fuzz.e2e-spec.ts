import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConnectionEstablished } from '@shared-infra/event-bus-client/protocol';
import type { INestApplicationContext } from '@nestjs/common';
import { EventBusService } from '@shared-infra/event-bus';
import { io, type Socket } from 'socket.io-client';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { ChildApp } from './utils/child-app.js';
import { tokenFor } from './utils/gateway-client.js';

/**
 * A seeded, randomized attack on the gateway: two users with five sockets
 * each on two instances (separate processes, one real Redis) send 2,000 random
 * messages (subscribe, unsubscribe, signal, publish, ping, unknown events,
 * malformed payloads, oversize and deeply nested data, one burst over the rate
 * limit) while a service publishes marked events into every room the test
 * knows of. Checked: no socket gets anything from a room it may not be in or
 * that belongs to the other user; every acked message is answered with `ok` or
 * a documented code (or its socket was cut for a documented reason); both
 * instances still serve afterwards. A JSON summary is printed at the end.
 *
 * Replay a run with FUZZ_SEED=<seed> (printed first): the same seed gives the
 * same handshakes, rooms and mix of messages; which socket sends what shifts a
 * little with timing (who is connected, which event ids it saw). FUZZ_MESSAGES
 * changes the number of messages (2,000). The target contract (scoped
 * client/session rooms, receive-only `global`, `from: { userId }`) is checked
 * on what the gateway announces, not on hard-coded names.
 */

// ---------------------------------------------------------------- settings

const SEED = seedFromEnv(process.env.FUZZ_SEED);
const MESSAGES = Number(process.env.FUZZ_MESSAGES ?? 2000);
/** Messages per second over all sockets: about 15/s each, under the fixture's 20/s (burst 30). */
const MESSAGES_PER_SECOND = 150;
/**
 * The burst: pings with an ack (answered `rate_limited` past the bucket), then
 * pings without one, which the server refuses fast enough to count 200 refusals
 * in a row (a refill in between starts the count again).
 */
const BURST_WITH_ACK = 60;
const BURST_WITHOUT_ACK = 600;
const ACK_TIMEOUT_MS = 5000;
const SOCKETS_PER_USER = 5;
const PUBLISH_EVERY_MS = 200;
/** The fixture's maxHttpBufferSize (test/fixtures/gateway/gateway-instance.main.ts). */
const MAX_MESSAGE_BYTES = 16 * 1024;
const MARK = `fuzz-${SEED}`;
const USERS = ['alice', 'bob'] as const;
const DOCUMENTED_CODES = new Set([
  'invalid',
  'forbidden',
  'rate_limited',
  'too_many_rooms',
  'too_large',
  'unavailable',
]);

type User = (typeof USERS)[number];
/** Who a room belongs to: a user, everybody (`global`, `lobby`), or nobody. */
type Owner = User | 'public' | 'none';
type Kind =
  | 'subscribe'
  | 'unsubscribe'
  | 'signal'
  | 'publish'
  | 'ping'
  | 'unknown'
  | 'malformed'
  | 'oversize'
  | 'burst';
type Outcome =
  | { kind: 'reply'; reply: unknown }
  | { kind: 'timeout' }
  | { kind: 'disconnected' };

const other = (user: User): User => (user === 'alice' ? 'bob' : 'alice');

function seedFromEnv(value: string | undefined): number {
  if (value === undefined || value === '')
    return (Math.random() * 2 ** 32) >>> 0;
  const asNumber = Number(value);
  if (Number.isFinite(asNumber)) return asNumber >>> 0;
  let hash = 2166136261;
  for (const char of value)
    hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return hash >>> 0;
}

// ---------------------------------------------------------------- PRNG

/** mulberry32: small, fast and good enough to pick fuzz cases. */
class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  float(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One of `items`; draws once even when it is empty (undefined then). */
  pick<T>(items: readonly T[]): T {
    const index = this.int(Math.max(items.length, 1));
    return items[index];
  }

  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    const total = choices.reduce((sum, [weight]) => sum + weight, 0);
    let at = this.float() * total;
    for (const [weight, value] of choices) {
      if ((at -= weight) < 0) return value;
    }
    return choices[choices.length - 1][1];
  }

  id(length: number, alphabet = 'abcdefghijkmnopqrstuvwxyz0123456789'): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}

// ---------------------------------------------------------------- raw JSON

/** JSON sent as it is: nesting deeper than JSON.stringify (and socket.io-client's encoder) can take. */
class RawJson {
  constructor(readonly json: string) {}
}

function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.json;
  if (Array.isArray(value))
    return `[${value.map(item => (item === undefined ? 'null' : toJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .map(([key, field]) => `${JSON.stringify(key)}:${toJson(field)}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const deepArray = (levels: number) =>
  new RawJson('['.repeat(levels) + ']'.repeat(levels));
const deepObject = (levels: number) =>
  new RawJson('{"a":'.repeat(levels) + '{}' + '}'.repeat(levels));

// ---------------------------------------------------------------- state

type Established = ConnectionEstablished;

/** What a socket's handshake carries (the same spec on every reconnect). */
interface HandshakeSpec {
  clientId: { label: string; value?: unknown; present: boolean };
  claims: Record<string, unknown>;
  sessionLabel: string;
}

/** Membership as the acks tell it: `maybe` after a message sent without an ack. */
type Membership = 'in' | 'out' | 'maybe';

/** One connection of a slot (a slot reconnects after the server cuts it). */
interface Conn {
  socket: Socket;
  generation: number;
  instance: 0 | 1;
  established?: Established;
  announced: Set<string>;
  membership: Map<string, Membership>;
  pendingSubscribes: Map<string, number>;
  pendingAcks: Set<(outcome: Outcome) => void>;
  usable: boolean;
  /** Why the server is expected to cut this connection. */
  expectCut?: 'rate_limit' | 'oversize';
  closedByTest: boolean;
  seenIds: string[];
}

interface Slot {
  name: string;
  user: User;
  spec: HandshakeSpec;
  instance: 0 | 1;
  conn?: Conn;
  generations: number;
  events: number;
  signals: number;
  reconnecting: boolean;
}

interface Violation {
  invariant: '1-rooms' | '2-servers' | '3-acks' | 'target-contract';
  what: string;
  detail: unknown;
}

// ---------------------------------------------------------------- the suite

describe(`Gateway fuzz: 2 users x ${SOCKETS_PER_USER} sockets, 2 instances, ${MESSAGES} random messages (seed ${SEED})`, () => {
  const rng = new Rng(SEED);
  let redis: RedisServer;
  const instances: ChildApp[] = [];
  const urls: string[] = [];
  let service: INestApplicationContext;
  let bus: EventBusService;

  const slots: Slot[] = [];
  const violations: Violation[] = [];
  const clientPool = {} as Record<User, string[]>;
  const sessionPool = {} as Record<User, string[]>;
  /** Old-form `client:<id>` / `session:<id>` rooms → the user whose pool holds the id. */
  const poolOwner = new Map<string, User>();
  /** Announced rooms no name rule resolves (e.g. a client id made from the socket id). */
  const announcedOwner = new Map<string, User>();
  /** Rooms the service publishes into every round, and the others seen in messages. */
  const coreRooms = new Set<string>();
  const seenRooms = new Set<string>();
  const knownIds: string[] = [];

  const counts = {
    sent: {} as Record<string, number>,
    withoutAck: {} as Record<string, number>,
    acks: {} as Record<string, Record<string, number>>,
    disconnects: {} as Record<string, number>,
    handshakeRefused: {} as Record<string, number>,
    reconnects: 0,
    published: 0,
    publishFailed: 0,
    unexpectedServerEvents: {} as Record<string, number>,
    malformedAccepted: {} as Record<string, number>,
    recovered: { true: 0, false: 0, replayed: 0 },
  };
  const outstanding = new Set<Promise<unknown>>();
  let fuzzing = false;
  let publishing = false;
  let publisher: Promise<void> | undefined;
  let startedAt = 0;
  let fuzzMs = 0;
  const final: Record<string, unknown> = {};

  const inc = (table: Record<string, number>, key: string, by = 1) =>
    void (table[key] = (table[key] ?? 0) + by);
  const violate = (
    invariant: Violation['invariant'],
    what: string,
    detail: unknown,
  ) => void violations.push({ invariant, what, detail });
  const violationsOf = (invariant: Violation['invariant']) =>
    violations.filter(v => v.invariant === invariant);

  // -------------------------------------------------------------- rooms

  function ownerOf(room: unknown): Owner {
    if (typeof room !== 'string') return 'none';
    if (room === 'global' || room === 'lobby') return 'public';
    const parts = room.split(':');
    const asUser = (id: string | undefined): Owner =>
      USERS.includes(id as User) ? (id as User) : 'none';
    if (parts[0] === 'user')
      return parts.length === 2 ? asUser(parts[1]) : 'none';
    if (parts[0] === 'client' || parts[0] === 'session') {
      if (parts.length === 3) return asUser(parts[1]);
      if (parts.length === 2)
        return poolOwner.get(room) ?? announcedOwner.get(room) ?? 'none';
      return 'none';
    }
    for (const user of USERS)
      if (room.startsWith(`photo:${user}-`)) return user;
    return 'none';
  }

  const isRoomName = (room: unknown): room is string =>
    typeof room === 'string' && /^[A-Za-z0-9_\-.:@]{1,128}$/.test(room);

  const FORBIDDEN_ROOMS = [
    'admin',
    'photo:carol-1',
    'secret:ops',
    'team:red',
    'lobby2',
    'x:y',
  ];
  const junkRooms = (user: User): unknown[] => [
    'x:y',
    '{a}',
    'x'.repeat(129),
    'x'.repeat(300),
    '',
    'a b',
    'user:',
    'client:',
    'session:',
    `user:${user}:x`,
    `user:${other(user)} `,
    `USER:${other(user)}`,
    `user:${other(user).toUpperCase()}`,
    'user:*',
    '*',
    '__proto__',
    'constructor',
    'global ',
    'Global',
    'client:a:b:c',
    `client:${other(user)}:`,
    `session:${other(user)}:x:y`,
    'photo:',
    `photo:${other(user)}`,
    42,
    null,
    {},
    ['lobby'],
    true,
  ];

  function pickRoom(slot: Slot): unknown {
    const user = slot.user;
    const them = other(user);
    const conn = slot.conn;
    const otherAnnounced = slots
      .filter(s => s.user === them && s.conn)
      .flatMap(s => [...s.conn!.announced]);
    const allClients = [...clientPool.alice, ...clientPool.bob];
    const allSessions = [...sessionPool.alice, ...sessionPool.bob];
    const choice = rng.weighted<() => unknown>([
      [6, () => rng.pick([...(conn?.announced ?? [])]) ?? `user:${user}`],
      [4, () => rng.pick(otherAnnounced) ?? `user:${them}`],
      [4, () => `user:${user}`],
      [5, () => `user:${them}`],
      [3, () => `client:${rng.pick(clientPool[user])}`],
      [4, () => `client:${rng.pick(clientPool[them])}`],
      [3, () => `client:${user}:${rng.pick(allClients)}`],
      [4, () => `client:${them}:${rng.pick(allClients)}`],
      [2, () => `session:${rng.pick(sessionPool[user])}`],
      [3, () => `session:${rng.pick(sessionPool[them])}`],
      [2, () => `session:${user}:${rng.pick(allSessions)}`],
      [3, () => `session:${them}:${rng.pick(allSessions)}`],
      [4, () => 'global'],
      [6, () => 'lobby'],
      [9, () => `photo:${user}-${rng.int(60)}`],
      [5, () => `photo:${them}-${rng.int(60)}`],
      [3, () => rng.pick(FORBIDDEN_ROOMS)],
      [6, () => rng.pick(junkRooms(user))],
      [2, () => rng.id(1 + rng.int(20), 'abcxyz:{}* @-_.0189ÄŁ\u0000')],
    ]);
    const room = choice();
    if (isRoomName(room)) seenRooms.add(room);
    return room;
  }

  /** Rooms this connection is in as far as the acks tell. */
  const joinedRooms = (conn: Conn) => [
    ...new Set([
      ...conn.announced,
      ...[...conn.membership]
        .filter(([, m]) => m !== 'out')
        .map(([room]) => room),
    ]),
  ];

  function mayReceiveFrom(conn: Conn, room: string): boolean {
    return (
      conn.announced.has(room) ||
      (conn.membership.get(room) ?? 'out') !== 'out' ||
      (conn.pendingSubscribes.get(room) ?? 0) > 0
    );
  }

  // -------------------------------------------------------------- sockets

  function emitRaw(
    conn: Conn,
    name: unknown,
    args: unknown[],
    ack?: (...reply: unknown[]) => void,
  ): void {
    const socket = conn.socket as unknown as {
      ids: number;
      acks: Record<number, (...reply: unknown[]) => void>;
      io: { engine: { write(data: string): void } };
    };
    let id = '';
    if (ack) {
      const n = socket.ids++;
      socket.acks[n] = ack;
      id = String(n);
    }
    socket.io.engine.write(`2${id}${toJson([name, ...args])}`);
  }

  /** Sends a message with an ack and resolves with what came of it. */
  function request(
    conn: Conn,
    name: unknown,
    args: unknown[],
  ): Promise<Outcome> {
    const done = new Promise<Outcome>(resolve => {
      let settled = false;
      const finish = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        conn.pendingAcks.delete(finish);
        resolve(outcome);
      };
      const timer = setTimeout(
        () => finish({ kind: 'timeout' }),
        ACK_TIMEOUT_MS,
      );
      conn.pendingAcks.add(finish);
      emitRaw(conn, name, args, reply => finish({ kind: 'reply', reply }));
    });
    outstanding.add(done);
    void done.then(() => outstanding.delete(done));
    return done;
  }

  /** Counts the outcome under `kind` and checks invariant 3; returns the reply when it is one. */
  function classify(
    slot: Slot,
    kind: Kind,
    desc: string,
    outcome: Outcome,
    { answerExpected = true } = {},
  ): { ok: boolean; code?: string; reply?: Record<string, unknown> } {
    const table = (counts.acks[kind] ??= {});
    if (outcome.kind === 'disconnected') {
      inc(table, 'disconnected');
      return { ok: false, code: 'disconnected' };
    }
    if (outcome.kind === 'timeout') {
      if (!answerExpected) {
        inc(table, 'unanswered (no handler)');
      } else {
        inc(table, 'timeout');
        violate('3-acks', `no ack within ${ACK_TIMEOUT_MS} ms`, {
          socket: slot.name,
          message: desc,
        });
      }
      return { ok: false, code: 'timeout' };
    }
    const reply = outcome.reply as Record<string, unknown> | undefined;
    if (reply && typeof reply === 'object' && reply.ok === true) {
      inc(table, 'ok');
      return { ok: true, reply };
    }
    const code =
      reply && typeof reply === 'object'
        ? String(reply.code)
        : `<${JSON.stringify(reply)}>`;
    if (
      reply &&
      typeof reply === 'object' &&
      reply.ok === false &&
      DOCUMENTED_CODES.has(code)
    ) {
      inc(table, code);
      return { ok: false, code, reply };
    }
    inc(table, `UNDOCUMENTED ${code}`);
    violate('3-acks', `ack with an undocumented answer (${code})`, {
      socket: slot.name,
      message: desc,
      reply,
    });
    return { ok: false, code, reply };
  }

  async function connect(slot: Slot): Promise<void> {
    const auth: Record<string, unknown> = {
      token: tokenFor(slot.user, slot.spec.claims),
    };
    if (slot.spec.clientId.present) auth.clientId = slot.spec.clientId.value;
    const socket = io(urls[slot.instance], {
      auth,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const conn: Conn = {
      socket,
      generation: ++slot.generations,
      instance: slot.instance,
      announced: new Set(),
      membership: new Map(),
      pendingSubscribes: new Map(),
      pendingAcks: new Set(),
      usable: false,
      closedByTest: false,
      seenIds: [],
    };
    socket.onAny((name: string, ...args: unknown[]) =>
      onServerEvent(slot, conn, name, args),
    );
    socket.on('disconnect', reason => onDisconnect(slot, conn, reason));
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => {
        inc(counts.handshakeRefused, 'no connection:established within 5 s');
        socket.close();
        resolve();
      }, 5000);
      socket.once(
        'connect_error',
        (error: Error & { data?: { reason?: string } }) => {
          clearTimeout(timer);
          inc(
            counts.handshakeRefused,
            `${error.message}: ${error.data?.reason ?? ''}`,
          );
          socket.close();
          resolve();
        },
      );
      socket.once('connection:established', () => {
        clearTimeout(timer);
        slot.conn = conn;
        conn.usable = true;
        resolve();
      });
    });
  }

  function reconnectLater(slot: Slot): void {
    if (!fuzzing || slot.reconnecting) return;
    slot.reconnecting = true;
    counts.reconnects++;
    setTimeout(() => {
      slot.instance = slot.instance === 0 ? 1 : 0;
      const done = connect(slot).finally(() => (slot.reconnecting = false));
      outstanding.add(done);
      void done.then(() => outstanding.delete(done));
    }, 100);
  }

  function onDisconnect(slot: Slot, conn: Conn, reason: string): void {
    conn.usable = false;
    for (const finish of [...conn.pendingAcks])
      finish({ kind: 'disconnected' });
    if (conn.closedByTest) return;
    const documented =
      (conn.expectCut === 'rate_limit' && reason === 'io server disconnect') ||
      (conn.expectCut === 'oversize' &&
        (reason === 'transport close' || reason === 'transport error'));
    inc(
      counts.disconnects,
      `${reason}${conn.expectCut ? ` (after ${conn.expectCut})` : ''}`,
    );
    if (!documented) {
      violate('3-acks', 'disconnected for no documented reason', {
        socket: slot.name,
        reason,
        expected: conn.expectCut ?? 'none',
      });
    }
    if (slot.conn === conn) reconnectLater(slot);
  }

  // -------------------------------------------------------------- what arrives

  const brief = (value: unknown) => {
    const json = toJson(value);
    return json.length > 300
      ? `${json.slice(0, 300)}… (${json.length} chars)`
      : value;
  };

  /** Every object in `value` that carries this run's marker (the service's and the sockets'). */
  function markers(
    value: unknown,
    depth = 0,
    found: Array<Record<string, unknown>> = [],
  ) {
    if (depth > 20 || value === null || typeof value !== 'object') return found;
    const record = value as Record<string, unknown>;
    if (record.m === MARK) found.push(record);
    for (const item of Object.values(record)) markers(item, depth + 1, found);
    return found;
  }

  function onServerEvent(
    slot: Slot,
    conn: Conn,
    name: string,
    args: unknown[],
  ): void {
    const payload = args[0] as Record<string, unknown> | undefined;
    if (name === 'connection:established') {
      onEstablished(slot, conn, payload as unknown as Established);
      return;
    }
    const context = {
      socket: slot.name,
      generation: conn.generation,
      event: name,
      payload: brief(payload),
    };
    for (const marker of markers(payload)) {
      const owner = marker.owner as Owner | undefined;
      if (owner !== undefined && owner !== 'public' && owner !== slot.user) {
        violate('1-rooms', `got something marked for ${owner}`, context);
      }
    }
    const room =
      payload && typeof payload === 'object' ? payload.room : undefined;
    if (typeof room !== 'string') {
      inc(counts.unexpectedServerEvents, name);
      return;
    }
    if (name === 'signal') {
      slot.signals++;
      checkSignal(slot, room, payload!, context);
    } else {
      slot.events++;
      if (typeof payload!.id === 'string') {
        conn.seenIds.push(payload!.id);
        if (conn.seenIds.length > 200) conn.seenIds.shift();
      }
      const data = payload!.data as Record<string, unknown> | undefined;
      if (data?.m === MARK && data.room !== room) {
        violate(
          '1-rooms',
          `an event published to ${String(data.room)} arrived as one of ${room}`,
          context,
        );
      }
    }
    if (!mayReceiveFrom(conn, room)) {
      violate(
        '1-rooms',
        `${name === 'signal' ? 'signal' : 'event'} from a room the socket is not in`,
        {
          ...context,
          announced: [...conn.announced],
        },
      );
    }
    const owner = ownerOf(room);
    if (owner !== 'public' && owner !== slot.user) {
      violate(
        '1-rooms',
        `${name === 'signal' ? 'signal' : 'event'} from a room of ${owner}`,
        {
          ...context,
          announced: [...conn.announced],
        },
      );
    }
  }

  function checkSignal(
    slot: Slot,
    room: string,
    payload: Record<string, unknown>,
    context: Record<string, unknown>,
  ): void {
    const from = payload.from as Record<string, unknown> | undefined;
    const owner = ownerOf(room);
    if (!from || typeof from.userId !== 'string') {
      violate('1-rooms', 'signal without from.userId', context);
      return;
    }
    if (USERS.includes(owner as User) && from.userId !== owner) {
      violate(
        '1-rooms',
        `signal from ${from.userId} in a room of ${owner}`,
        context,
      );
    }
    const data = payload.data as Record<string, unknown> | undefined;
    if (data?.m === MARK && (data.from !== from.userId || data.room !== room)) {
      violate(
        '1-rooms',
        'signal relayed with another sender or room than it was sent with',
        context,
      );
    }
    if (Object.keys(from).join(',') !== 'userId') {
      violate('target-contract', 'signal.from carries more than { userId }', {
        socket: slot.name,
        from,
      });
    }
    if (room === 'global') {
      violate(
        'target-contract',
        'a signal arrived in global (receive-only)',
        context,
      );
    }
  }

  function onEstablished(
    slot: Slot,
    conn: Conn,
    established: Established,
  ): void {
    if (conn.established) {
      violate('1-rooms', 'connection:established twice on one connection', {
        socket: slot.name,
      });
    }
    conn.established = established;
    const rooms = Array.isArray(established?.rooms) ? established.rooms : [];
    if (established?.userId !== slot.user) {
      violate('1-rooms', 'connection:established names another user', {
        socket: slot.name,
        established,
      });
    }
    if (!rooms.includes(`user:${slot.user}`)) {
      violate('1-rooms', 'established rooms lack the user room', {
        socket: slot.name,
        rooms,
      });
    }
    for (const room of rooms) {
      conn.announced.add(room);
      const [prefix, userSegment] = room.split(':');
      if (
        (prefix === 'client' || prefix === 'session') &&
        userSegment !== slot.user
      ) {
        violate(
          'target-contract',
          'established rooms hold a client:/session: room not scoped by its own user',
          {
            socket: slot.name,
            room,
            handshake: {
              clientId: slot.spec.clientId.label,
              session: slot.spec.sessionLabel,
            },
            rooms,
          },
        );
      }
      if (ownerOf(room) === 'none' && !poolOwner.has(room))
        announcedOwner.set(room, slot.user);
      if (ownerOf(room) !== 'public' && ownerOf(room) !== slot.user) {
        violate(
          '1-rooms',
          `established rooms hold a room of ${ownerOf(room)}`,
          {
            socket: slot.name,
            room,
            handshake: {
              clientId: slot.spec.clientId.label,
              session: slot.spec.sessionLabel,
            },
            rooms,
          },
        );
      }
      if (isRoomName(room)) coreRooms.add(room);
    }
  }

  // -------------------------------------------------------------- messages

  function lastEventId(conn: Conn): unknown {
    return rng.weighted<() => unknown>([
      [55, () => undefined],
      [15, () => rng.pick(conn.seenIds) ?? rng.pick(knownIds)],
      [10, () => rng.pick(knownIds)],
      [10, () => rng.id(26, '0123456789ABCDEFGHJKMNPQRSTVWXYZ')],
      [
        10,
        () =>
          rng.pick([
            'x',
            42,
            null,
            {},
            'Z'.repeat(26),
            '0'.repeat(27),
            ['01ARZ3NDEKTSV4RRFFQ69G5FAV'],
          ]),
      ],
    ])();
  }

  function signalData(slot: Slot, room: unknown): unknown {
    return rng.weighted<() => unknown>([
      [25, () => undefined],
      [35, () => ({ m: MARK, room, from: slot.user, n: rng.int(1000) })],
      [5, () => ({ stopped: true })],
      [
        10,
        () => ({
          m: MARK,
          room,
          from: slot.user,
          pad: 'x'.repeat(1100 + rng.int(6000)),
        }),
      ],
      [4, () => deepArray(5000)],
      [2, () => deepArray(7000)],
      [2, () => deepObject(2000)],
      [
        4,
        () =>
          rng.pick([
            'text',
            42,
            null,
            true,
            [1, 2],
            { lastEventId: rng.pick(knownIds) },
          ]),
      ],
    ])();
  }

  function publishArgs(): { type: unknown; data: unknown } {
    const type = rng.weighted<() => unknown>([
      [35, () => 'chat.message'],
      [15, () => 'photo.delete.requested'],
      [
        20,
        () =>
          rng.pick([
            'user.online',
            'user.offline',
            'client.connected',
            'photo.uploaded',
            'fuzz.probe',
            'chat.message.extra',
          ]),
      ],
      [
        15,
        () =>
          rng.pick([
            '',
            'Chat.Message',
            'chat..message',
            'a'.repeat(300),
            42,
            null,
            '**',
            'chat.*',
            'chat.message ',
          ]),
      ],
      [15, () => `${rng.id(1 + rng.int(8))}.${rng.id(1 + rng.int(8))}`],
    ])();
    const data = rng.weighted<() => unknown>([
      [40, () => ({ text: `hi ${rng.id(6)}` })],
      [10, () => ({ text: 'x'.repeat(600) })],
      [5, () => ({ text: 42 })],
      [5, () => ({ text: 'x'.repeat(15_000) })],
      [4, () => ({ photoId: rng.id(8), pad: 'y'.repeat(15_500) })],
      [4, () => deepArray(5000)],
      [2, () => deepArray(7000)],
      [3, () => ({ text: 'deep', nested: deepObject(2000) })],
      [
        10,
        () => ({ text: 'hi', photoId: rng.id(5), extra: { a: [1, { b: 2 }] } }),
      ],
      [10, () => undefined],
      [7, () => rng.pick(['x', 42, null, true, [], [{ text: 'hi' }]])],
    ])();
    return { type, data };
  }

  const UNKNOWN_NAMES: unknown[] = [
    'subscribe ',
    'Subscribe',
    'SUBSCRIBE',
    'x',
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'connection:established',
    'signal.x',
    'chat.message',
    'system.shutdown',
    'exception',
    'error',
    'message',
    'publish:x',
    '',
    'a'.repeat(1000),
    42,
  ];

  const MALFORMED: unknown[][] = [
    [42],
    ['lobby'],
    [null],
    [true],
    [[]],
    [[{ room: 'lobby' }]],
    [{}],
    [{ room: 42 }],
    [{ room: ['lobby'] }],
    [{ room: {} }],
    [{ room: null }],
    [{ room: 'lobby', lastEventId: 42 }],
    [{ room: 'lobby', lastEventId: {} }],
    [{ room: 'lobby' }, { room: 'user:bob' }],
    [{ room: 'lobby', kind: 42 }],
    [{ room: 'lobby', kind: '' }],
    [{ type: 'chat.message', data: { text: 'hi' } }, 'extra'],
    [],
  ];

  /** Sends one random message on `slot` (which is connected). */
  function sendRandom(slot: Slot): void {
    const conn = slot.conn!;
    const kind = rng.weighted<Kind>([
      [26, 'subscribe'],
      [10, 'unsubscribe'],
      [20, 'signal'],
      [14, 'publish'],
      [8, 'ping'],
      [6, 'unknown'],
      [10, 'malformed'],
      [0.4, 'oversize'],
    ]);
    const withAck = kind === 'oversize' || rng.chance(0.85);
    inc(counts.sent, kind);
    if (!withAck) inc(counts.withoutAck, kind);

    if (kind === 'subscribe') {
      const room = pickRoom(slot);
      const id = lastEventId(conn);
      const extra = rng.weighted<() => Record<string, unknown> | RawJson>([
        [80, () => ({})],
        [8, () => ({ extra: 'x', userId: other(slot.user) })],
        [4, () => ({ junk: deepArray(3000) })],
        [
          4,
          () =>
            new RawJson(
              `{"room":${toJson(room)},"__proto__":{"room":"user:${other(slot.user)}"}}`,
            ),
        ],
        [
          4,
          () =>
            new RawJson(
              `{"room":${toJson(room)},"constructor":{"prototype":{"room":"user:${other(slot.user)}"}}}`,
            ),
        ],
      ])();
      const payload =
        extra instanceof RawJson ? extra : { room, lastEventId: id, ...extra };
      const desc = `subscribe ${toJson(payload).slice(0, 200)}`;
      if (!withAck) {
        emitRaw(conn, 'subscribe', [payload]);
        if (
          isRoomName(room) &&
          [slot.user, 'public'].includes(ownerOf(room)) &&
          conn.membership.get(room) !== 'in'
        ) {
          conn.membership.set(room, 'maybe');
        }
        return;
      }
      if (isRoomName(room))
        conn.pendingSubscribes.set(
          room,
          (conn.pendingSubscribes.get(room) ?? 0) + 1,
        );
      void request(conn, 'subscribe', [payload]).then(outcome => {
        if (isRoomName(room))
          conn.pendingSubscribes.set(
            room,
            conn.pendingSubscribes.get(room)! - 1,
          );
        const result = classify(slot, 'subscribe', desc, outcome);
        if (!result.ok) return;
        if (isRoomName(room)) conn.membership.set(room, 'in');
        if (result.reply?.recovered !== undefined) {
          counts.recovered[result.reply.recovered ? 'true' : 'false']++;
          counts.recovered.replayed += Number(result.reply.replayed ?? 0);
        }
        const owner = ownerOf(room);
        if (owner !== 'public' && owner !== slot.user) {
          violate('1-rooms', `subscribe to a room of ${owner} acked ok`, {
            socket: slot.name,
            message: desc,
            announced: [...conn.announced],
          });
        }
      });
      return;
    }

    if (kind === 'unsubscribe') {
      const room = rng.chance(0.5)
        ? (rng.pick(joinedRooms(conn)) ?? pickRoom(slot))
        : pickRoom(slot);
      const desc = `unsubscribe ${toJson(room).slice(0, 200)}`;
      if (!withAck) return emitRaw(conn, 'unsubscribe', [{ room }]);
      void request(conn, 'unsubscribe', [{ room }]).then(outcome => {
        if (classify(slot, 'unsubscribe', desc, outcome).ok && isRoomName(room))
          conn.membership.set(room, 'out');
      });
      return;
    }

    if (kind === 'signal') {
      const room = rng.weighted<() => unknown>([
        [30, () => rng.pick(joinedRooms(conn)) ?? 'lobby'],
        [12, () => 'global'],
        [58, () => pickRoom(slot)],
      ])();
      const signalKind = rng.weighted<() => unknown>([
        [35, () => 'typing'],
        [25, () => 'read'],
        [25, () => rng.id(1 + rng.int(10), 'abcxyz_.-0189')],
        [
          15,
          () =>
            rng.pick([
              '',
              'TYPING',
              'a'.repeat(40),
              42,
              null,
              'typing ',
              '9lives',
              'x:y',
            ]),
        ],
      ])();
      const data = signalData(slot, room);
      const payload = { room, kind: signalKind, data };
      const desc = `signal ${toJson({ room, kind: signalKind })} data ${toJson(data).length} bytes`;
      if (!withAck) return emitRaw(conn, 'signal', [payload]);
      void request(conn, 'signal', [payload]).then(outcome => {
        if (!classify(slot, 'signal', desc, outcome).ok) return;
        if (room === 'global') {
          violate(
            'target-contract',
            'signal into global acked ok (global is receive-only: forbidden)',
            {
              socket: slot.name,
              message: desc,
            },
          );
        }
        const owner = ownerOf(room);
        if (owner !== 'public' && owner !== slot.user) {
          violate('1-rooms', `signal into a room of ${owner} acked ok`, {
            socket: slot.name,
            message: desc,
          });
        }
      });
      return;
    }

    if (kind === 'publish') {
      const payload = publishArgs();
      const desc = `publish type ${toJson(payload.type).slice(0, 60)} data ${toJson(payload.data).length} bytes`;
      if (!withAck) return emitRaw(conn, 'publish', [payload]);
      void request(conn, 'publish', [payload]).then(outcome =>
        classify(slot, 'publish', desc, outcome),
      );
      return;
    }

    if (kind === 'ping') {
      const args = rng.chance(0.7)
        ? []
        : [
            rng.pick<unknown>([
              null,
              42,
              'x',
              { room: `user:${other(slot.user)}` },
              deepArray(3000),
            ]),
          ];
      if (!withAck) return emitRaw(conn, 'ping', args);
      void request(conn, 'ping', args).then(outcome =>
        classify(slot, 'ping', `ping ${toJson(args).slice(0, 80)}`, outcome),
      );
      return;
    }

    if (kind === 'unknown') {
      const name = rng.chance(0.8)
        ? rng.pick(UNKNOWN_NAMES)
        : rng.id(1 + rng.int(12), 'abc.:_-XYZ');
      const args = [
        rng.pick<unknown>([
          { room: 'lobby' },
          { room: `user:${other(slot.user)}` },
          42,
          null,
          'x',
        ]),
      ];
      if (!withAck) return emitRaw(conn, name, args);
      // No handler answers these: no ack is expected (the rate limiter's `rate_limited` is one).
      void request(conn, name, args).then(outcome =>
        classify(slot, 'unknown', `${toJson(name).slice(0, 40)}`, outcome, {
          answerExpected: false,
        }),
      );
      return;
    }

    if (kind === 'malformed') {
      const name = rng.pick(['subscribe', 'unsubscribe', 'signal', 'publish']);
      const args = rng.pick(MALFORMED);
      const desc = `${name} ${toJson(args)}`;
      if (!withAck) return emitRaw(conn, name, args);
      void request(conn, name, args).then(outcome => {
        const result = classify(slot, 'malformed', desc, outcome);
        if (!result.ok) return;
        inc(counts.malformedAccepted, desc);
        if (name !== 'subscribe') return;
        // Accepted after all: whatever it joined may send events now, unless it is somebody else's.
        for (const arg of args) {
          const room = (arg as { room?: unknown } | null)?.room;
          if (isRoomName(room) && [slot.user, 'public'].includes(ownerOf(room)))
            conn.membership.set(room, 'maybe');
        }
      });
      return;
    }

    // oversize: over maxHttpBufferSize, which closes the connection.
    conn.usable = false;
    conn.expectCut = 'oversize';
    const name = rng.pick(['subscribe', 'publish', 'signal']);
    const pad = 'x'.repeat(MAX_MESSAGE_BYTES + 1000 + rng.int(8000));
    const payload = {
      room: 'lobby',
      type: 'chat.message',
      kind: 'read',
      data: { text: pad },
    };
    void request(conn, name, [payload]).then(outcome =>
      classify(slot, 'oversize', `${name} of ${pad.length} bytes`, outcome),
    );
    const watchdog = setTimeout(() => {
      if (!conn.socket.connected) return;
      violate(
        '3-acks',
        'a message over maxHttpBufferSize did not close the connection',
        { socket: slot.name, name },
      );
      conn.closedByTest = true;
      conn.socket.close();
      reconnectLater(slot);
    }, 3000);
    conn.socket.once('disconnect', () => clearTimeout(watchdog));
  }

  /** Over the rate limit at once: `rate_limited` acks, then the server cuts the socket. */
  function burst(slot: Slot): Promise<unknown> {
    const conn = slot.conn!;
    conn.usable = false;
    conn.expectCut = 'rate_limit';
    inc(counts.sent, 'burst', BURST_WITH_ACK + BURST_WITHOUT_ACK);
    inc(counts.withoutAck, 'burst', BURST_WITHOUT_ACK);
    const acks: Array<Promise<unknown>> = [];
    for (let i = 0; i < BURST_WITH_ACK; i++) {
      acks.push(
        request(conn, 'ping', []).then(outcome =>
          classify(slot, 'burst', 'ping (burst)', outcome),
        ),
      );
    }
    for (let i = 0; i < BURST_WITHOUT_ACK; i++) emitRaw(conn, 'ping', []);
    const watchdog = setTimeout(() => {
      if (!conn.socket.connected) return;
      violate(
        '3-acks',
        `a burst of ${BURST_WITH_ACK + BURST_WITHOUT_ACK} pings did not get the socket cut (rateLimit.disconnectAfter 200)`,
        {
          socket: slot.name,
        },
      );
      conn.closedByTest = true;
      conn.socket.close();
      reconnectLater(slot);
    }, 8000);
    conn.socket.once('disconnect', () => clearTimeout(watchdog));
    return Promise.all(acks);
  }

  // -------------------------------------------------------------- the service

  async function publishLoop(): Promise<void> {
    let round = 0;
    let cursor = 0;
    while (publishing) {
      round++;
      const extra = [...seenRooms].filter(room => !coreRooms.has(room));
      const rotating =
        extra.length <= 40
          ? extra
          : Array.from({ length: 40 }, () => extra[cursor++ % extra.length]);
      const sends: Array<Promise<{ eventId: string } | void>> = [];
      for (const room of [...coreRooms, ...rotating]) {
        const owner = ownerOf(room);
        sends.push(
          bus.publishToRoom(room, 'fuzz.probe', {
            m: MARK,
            owner,
            room,
            round,
          } as never),
        );
      }
      for (const user of USERS) {
        sends.push(
          bus.publishToUser(user, 'fuzz.probe', {
            m: MARK,
            owner: user,
            room: `user:${user}`,
            round,
          } as never),
        );
      }
      sends.push(
        bus.broadcast('fuzz.probe', {
          m: MARK,
          owner: 'public',
          room: 'global',
          round,
        } as never),
      );
      const results = await Promise.allSettled(sends);
      for (const result of results) {
        if (result.status === 'rejected') counts.publishFailed++;
        else {
          counts.published++;
          if (result.value) knownIds.push(result.value.eventId);
        }
      }
      if (knownIds.length > 1000) knownIds.splice(0, knownIds.length - 1000);
      await new Promise(r => setTimeout(r, PUBLISH_EVERY_MS));
    }
  }

  // -------------------------------------------------------------- setup and run

  function handshakeSpec(user: User): HandshakeSpec {
    const them = other(user);
    const malformedIds: unknown[] = [
      'x:y',
      '{a}',
      'x'.repeat(300),
      42,
      null,
      { a: 1 },
      ['dev'],
      true,
      '',
      'a b',
      'x*',
    ];
    const clientId = rng.weighted<() => HandshakeSpec['clientId']>([
      [
        35,
        () => ({
          label: 'own',
          value: rng.pick(clientPool[user]),
          present: true,
        }),
      ],
      [
        25,
        () => ({
          label: `${them}'s`,
          value: rng.pick(clientPool[them]),
          present: true,
        }),
      ],
      [
        28,
        () => {
          const value = rng.pick(malformedIds);
          return {
            label: `malformed ${toJson(value).slice(0, 20)}`,
            value,
            present: true,
          };
        },
      ],
      [12, () => ({ label: 'absent', present: false })],
    ])();
    const claims: Record<string, unknown> = {};
    const sessionKey = rng.chance(0.8) ? 'sessionId' : 'sid';
    const session = rng.weighted<() => [string, unknown]>([
      [35, () => ['own', rng.pick(sessionPool[user])]],
      [25, () => [`${them}'s`, rng.pick(sessionPool[them])]],
      [
        25,
        () => {
          const value = rng.pick<unknown>([
            'x:y',
            '{a}',
            's'.repeat(300),
            42,
            {},
            ['s'],
            true,
            '',
          ]);
          return [`malformed ${toJson(value).slice(0, 20)}`, value];
        },
      ],
      [15, () => ['absent', undefined]],
    ])();
    if (session[1] !== undefined) claims[sessionKey] = session[1];
    // Now and then the token itself names a client id (it wins over auth.clientId).
    if (rng.chance(0.1)) {
      claims.clientId = rng.pick([...clientPool[user], ...clientPool[them]]);
      const whose = clientPool[user].includes(claims.clientId as string)
        ? 'own'
        : `${them}'s`;
      clientId.label += `; token claim clientId: ${whose}`;
    }
    if (rng.chance(0.3)) claims.permissions = ['photos:write'];
    const sessionLabel = `${session[0]} (${sessionKey})`;
    return { clientId, claims, sessionLabel };
  }

  beforeAll(async () => {
    console.log(`[gateway-fuzz] seed ${SEED}: replay with FUZZ_SEED=${SEED}`);
    for (const user of USERS) {
      clientPool[user] = Array.from({ length: 3 }, () => `d${rng.id(6)}`);
      sessionPool[user] = Array.from({ length: 3 }, () => `s${rng.id(8)}`);
      for (const id of clientPool[user]) poolOwner.set(`client:${id}`, user);
      for (const id of sessionPool[user]) poolOwner.set(`session:${id}`, user);
    }
    for (const user of USERS) {
      coreRooms.add(`user:${user}`);
      for (const id of [...clientPool.alice, ...clientPool.bob])
        coreRooms.add(`client:${user}:${id}`);
      for (const id of [...sessionPool.alice, ...sessionPool.bob])
        coreRooms.add(`session:${user}:${id}`);
      for (const id of clientPool[user]) coreRooms.add(`client:${id}`);
      for (const id of sessionPool[user]) coreRooms.add(`session:${id}`);
      for (let n = 0; n < 3; n++) coreRooms.add(`photo:${user}-${n}`);
    }
    for (const room of ['global', 'lobby', ...FORBIDDEN_ROOMS])
      coreRooms.add(room);

    redis = await RedisServer.start();
    instances.push(
      ...(await Promise.all([
        ChildApp.start('gateway/gateway-instance.main', {
          REDIS_URL: redis.url,
        }),
        ChildApp.start('gateway/gateway-instance.main', {
          REDIS_URL: redis.url,
        }),
      ])),
    );
    for (const instance of instances)
      urls.push(
        `http://127.0.0.1:${await instance.request<number>({ cmd: 'port' })}`,
      );
    service = await startBusApp(redis.url, { serviceName: 'fuzz-publisher' });
    bus = service.get(EventBusService);

    for (const user of USERS) {
      for (let i = 0; i < SOCKETS_PER_USER; i++) {
        slots.push({
          name: `${user}#${i}`,
          user,
          spec: handshakeSpec(user),
          instance: ((i + (user === 'alice' ? 0 : 1)) % 2) as 0 | 1,
          generations: 0,
          events: 0,
          signals: 0,
          reconnecting: false,
        });
      }
    }
    fuzzing = true;
    await Promise.all(slots.map(slot => connect(slot)));
    publishing = true;
    publisher = publishLoop();
    await new Promise(r => setTimeout(r, 300));

    startedAt = Date.now();
    let due = startedAt;
    const burstAt = Math.floor(MESSAGES / 2);
    for (let i = 0; i < MESSAGES; i++) {
      const live = slots.filter(slot => slot.conn?.usable);
      const slot = rng.pick(live);
      if (i === burstAt && slot) {
        const done = burst(slot);
        outstanding.add(done);
        void done.then(() => outstanding.delete(done));
      } else if (slot) {
        sendRandom(slot);
      }
      // Poisson arrivals on an absolute schedule (timers overshoot); a lag is forgiven, not caught up.
      due += -Math.log(1 - rng.float()) * (1000 / MESSAGES_PER_SECOND);
      const wait = due - Date.now();
      if (wait > 0) await new Promise(r => setTimeout(r, wait));
      else if (wait < -100) due = Date.now();
      else if (i % 5 === 0) await new Promise(r => setImmediate(r));
    }
    fuzzMs = Date.now() - startedAt;
    while (outstanding.size > 0) await Promise.all([...outstanding]);
    fuzzing = false;
    publishing = false;
    await publisher;
    // Events in flight.
    await new Promise(r => setTimeout(r, 500));
  }, 120_000);

  afterAll(async () => {
    fuzzing = false;
    publishing = false;
    for (const slot of slots) {
      if (slot.conn) slot.conn.closedByTest = true;
      slot.conn?.socket.close();
    }
    await publisher?.catch(() => undefined);
    const serverErrors = instances.flatMap(instance =>
      instance.stderr
        .join('')
        .split('\n')
        .filter(line => /ERROR|Unexpected|Error:/.test(line)),
    );
    const summary = {
      seed: SEED,
      replay: `FUZZ_SEED=${SEED}`,
      fuzzMs,
      messages: {
        random:
          Object.values(counts.sent).reduce((a, b) => a + b, 0) -
          (counts.sent.burst ?? 0),
        burst: counts.sent.burst ?? 0,
        byKind: counts.sent,
        withoutAck: counts.withoutAck,
      },
      acks: counts.acks,
      recovery: counts.recovered,
      disconnects: counts.disconnects,
      reconnects: counts.reconnects,
      handshakeRefused: counts.handshakeRefused,
      servicePublished: { ok: counts.published, failed: counts.publishFailed },
      receivedPerSocket: Object.fromEntries(
        slots.map(slot => [
          slot.name,
          {
            events: slot.events,
            signals: slot.signals,
            connections: slot.generations,
            clientId: slot.spec.clientId.label,
            session: slot.spec.sessionLabel,
          },
        ]),
      ),
      unexpectedServerEvents: counts.unexpectedServerEvents,
      malformedAccepted: counts.malformedAccepted,
      serverErrorLogLines: serverErrors.length,
      firstServerErrorLines: serverErrors.slice(0, 3),
      ...final,
      violations: {
        total: violations.length,
        byInvariant: Object.fromEntries(
          (['1-rooms', '2-servers', '3-acks', 'target-contract'] as const).map(
            inv => [inv, violationsOf(inv).length],
          ),
        ),
        byWhat: violations.reduce<Record<string, number>>((table, v) => {
          inc(table, `${v.invariant}: ${v.what}`);
          return table;
        }, {}),
        examples: violations.slice(0, 5),
      },
    };
    console.log(`[gateway-fuzz] summary\n${JSON.stringify(summary, null, 2)}`);
    await service?.close();
    await Promise.all(instances.map(instance => instance.stop()));
    await redis?.stop();
  }, 30_000);

  /** First examples of each kind of violation, for a readable failure. */
  const examples = (invariant: Violation['invariant']) => {
    const byWhat = new Map<string, { count: number; first: unknown }>();
    for (const v of violationsOf(invariant)) {
      const entry = byWhat.get(v.what) ?? { count: 0, first: v.detail };
      entry.count++;
      byWhat.set(v.what, entry);
    }
    return [...byWhat].map(([what, { count, first }]) => ({
      what,
      count,
      first,
    }));
  };

  it('1. no socket gets an event or signal from a room it is not in, nor anything of the other user', () => {
    expect({ seed: SEED, violations: examples('1-rooms') }).toEqual({
      seed: SEED,
      violations: [],
    });
    // Not vacuous: the sockets did get the service's events.
    expect(slots.reduce((sum, slot) => sum + slot.events, 0)).toBeGreaterThan(
      0,
    );
  });

  it('target contract: own client/session rooms scoped by user, global receive-only, signal.from is { userId }', () => {
    expect({ seed: SEED, violations: examples('target-contract') }).toEqual({
      seed: SEED,
      violations: [],
    });
  });

  it('3. every acked message is answered ok or with a documented code, or its socket was cut for a documented reason', () => {
    expect({ seed: SEED, violations: examples('3-acks') }).toEqual({
      seed: SEED,
      violations: [],
    });
    // The burst did trip the rate limit.
    expect(counts.acks.burst?.rate_limited ?? 0).toBeGreaterThan(0);
  });

  it('2. both instances still serve: a fresh socket pings, stats answer, events still arrive', async () => {
    const serving: Record<string, unknown> = {};
    for (const [index, instance] of instances.entries()) {
      const label = index === 0 ? 'A' : 'B';
      if (instance.exited) {
        violate('2-servers', `instance ${label} exited`, {
          stderr: instance.stderr.join('').slice(-2000),
        });
        continue;
      }
      const stats = await instance
        .request({ cmd: 'stats' }, 5000)
        .catch((error: Error) => {
          violate(
            '2-servers',
            `instance ${label} did not answer stats`,
            error.message,
          );
          return undefined;
        });
      const socket = io(urls[index], {
        auth: { token: tokenFor('alice') },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      try {
        const established = await new Promise<Established>(
          (resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error('no connection:established within 5 s')),
              5000,
            );
            socket.once('connection:established', (e: Established) => {
              clearTimeout(timer);
              resolve(e);
            });
            socket.once('connect_error', (e: Error) => {
              clearTimeout(timer);
              reject(e);
            });
          },
        );
        const pong = (await socket.timeout(5000).emitWithAck('ping')) as {
          ok?: boolean;
        };
        if (pong?.ok !== true)
          violate('2-servers', `instance ${label}: ping not acked ok`, pong);
        const arrived = new Promise<unknown>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error('no event within 5 s')),
            5000,
          );
          socket.once('fuzz.final', (e: unknown) => {
            clearTimeout(timer);
            resolve(e);
          });
        });
        await bus.publishToUser('alice', 'fuzz.final', {
          m: MARK,
          owner: 'alice',
          room: 'user:alice',
        } as never);
        await arrived;
        serving[label] = { rooms: established.rooms, stats };
      } catch (error) {
        violate(
          '2-servers',
          `instance ${label} does not serve a fresh socket`,
          (error as Error).message,
        );
      } finally {
        socket.close();
      }
    }
    final.afterRun = serving;
    expect({ seed: SEED, violations: examples('2-servers') }).toEqual({
      seed: SEED,
      violations: [],
    });
  });
});
