import { io, type Socket } from 'socket.io-client';
import {
  INITIAL_CONNECTION,
  reconnectDelay,
  transition,
  type ConnectionInput,
  type ConnectionState,
  type ResolvedReconnection,
} from './connection-state.js';
import {
  ClientAckError,
  ClientAuthError,
  type ClientAckCode,
} from './errors.js';
import type {
  ConnectionIdentity,
  EventBusClient,
  EventBusClientOptions,
  RoomSubscription,
} from './interfaces.js';
import { ObservableValue } from './observable-value.js';
import {
  CLIENT_MESSAGES,
  SERVER_EVENTS,
  type ClientEvent,
  type EventData,
  type GatewayAck,
  type GatewayAckCode,
  type PublishPayload,
  type RoomSignal,
  type SignalPayload,
  type SubscribePayload,
  type UnsubscribePayload,
} from './protocol.js';
import { reportAsync } from './report-async.js';
import { RoomTracker } from './room-tracker.js';

/** Refusals of a re-join worth another try, and how many tries. */
const RETRYABLE = new Set<ClientAckCode>([
  'rate_limited',
  'unavailable',
  'internal',
  'timeout',
] satisfies Array<GatewayAckCode | 'timeout'>);
const MAX_JOIN_ATTEMPTS = 6;
const JOIN_RETRY: ResolvedReconnection = {
  delayMs: 250,
  maxDelayMs: 5000,
  randomization: 0.5,
  attempts: MAX_JOIN_ATTEMPTS,
};

type Handler = (event: ClientEvent) => void;
/** An ack, or a request that got none, in the same shape. */
type Ack = Omit<GatewayAck, 'code'> & { code?: ClientAckCode };
type Timer = ReturnType<typeof setTimeout>;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

/** A room the app subscribed to. */
interface RoomEntry {
  room: string;
  handlers: Set<Handler>;
  /** The connection (generation) its `subscribe` was last sent on. */
  sentOn: number;
  /** Acked at least once: later joins are recoveries. */
  joined: boolean;
  /** Settles with the first ack. */
  ready: Deferred;
}

/**
 * Connects to an event bus gateway. The client connects at once and keeps
 * reconnecting (socket.io's backoff); `ready()` resolves when it is first
 * connected.
 *
 * @example
 * const client = connect({ url: 'https://app.example.com', getToken: () => auth.freshToken() });
 * await client.ready();
 * await client.subscribe(`photo:${photoId}`, event => render(event));
 *
 * @publicApi
 */
export function connect(options: EventBusClientOptions): EventBusClient {
  return new GatewayClient(options);
}

class GatewayClient implements EventBusClient {
  readonly state = new ObservableValue<ConnectionState>(
    INITIAL_CONNECTION.state,
  );
  identity: ConnectionIdentity | undefined;

  private machine = INITIAL_CONNECTION;
  private readonly socket: Socket;
  private readonly tracker = new RoomTracker();
  private readonly rooms = new Map<string, RoomEntry>();
  private readonly typeHandlers = new Map<string, Set<Handler>>();
  private readonly signalHandlers = new Set<(signal: RoomSignal) => void>();
  private readonly readiness = deferred();
  private readonly reconnection: ResolvedReconnection;
  private readonly clientId: string;
  private readonly ackTimeoutMs: number;
  private readonly maxAuthFailures: number;
  /** Bumped on every connect and disconnect: work of an older connection sees it and stops. */
  private generation = 0;
  /** The generation whose `connection:established` arrived. */
  private establishedOn = -1;
  private connectedAt = 0;
  private authFailures = 0;
  private tokenError?: Error;
  /** Server-side disconnects in a row (socket.io does not reconnect after those by itself). */
  private kicks = 0;
  private shutdownNotice = false;
  private reconnectTimer?: Timer;
  private closed = false;

  constructor(private readonly options: EventBusClientOptions) {
    const reconnection = options.reconnection ?? {};
    this.reconnection = {
      delayMs: reconnection.delayMs ?? 500,
      maxDelayMs: reconnection.maxDelayMs ?? 10_000,
      randomization: reconnection.randomization ?? 0.5,
      attempts: reconnection.attempts ?? Infinity,
    };
    this.clientId = options.clientId ?? randomClientId();
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.maxAuthFailures = Math.max(1, options.maxAuthFailures ?? 3);
    this.readiness.promise.catch(() => undefined); // rejections reach whoever awaits ready()
    const transports = options.transports ?? ['websocket', 'polling'];
    this.socket = io(options.url, {
      autoConnect: false,
      forceNew: true,
      path: options.path,
      transports,
      tryAllTransports: transports.length > 1,
      reconnection: true,
      reconnectionDelay: this.reconnection.delayMs,
      reconnectionDelayMax: this.reconnection.maxDelayMs,
      randomizationFactor: this.reconnection.randomization,
      reconnectionAttempts: this.reconnection.attempts,
      auth: callback => this.authenticate(callback),
    });
    this.listen();
    this.socket.connect();
  }

  ready(): Promise<void> {
    return this.readiness.promise;
  }

  async subscribe(
    room: string,
    handler: (event: ClientEvent) => void,
  ): Promise<RoomSubscription> {
    if (this.closed)
      throw new ClientAckError('closed', 'the client is closed', room);
    let entry = this.rooms.get(room);
    if (!entry) {
      entry = {
        room,
        handlers: new Set(),
        sentOn: -1,
        joined: false,
        ready: deferred(),
      };
      entry.ready.promise.catch(() => undefined);
      this.rooms.set(room, entry);
      // Not connected yet: the next connection's set-up joins it.
      if (this.socket.connected && this.establishedOn === this.generation)
        void this.join(room, this.generation);
    }
    const joined = entry;
    joined.handlers.add(handler);
    try {
      await joined.ready.promise;
    } catch (error) {
      joined.handlers.delete(handler);
      throw error;
    }
    let active = true;
    return {
      room,
      unsubscribe: async () => {
        if (!active) return;
        active = false;
        await this.leave(joined, handler);
      },
    };
  }

  on<K extends string>(
    type: K,
    handler: (event: ClientEvent<EventData<K>>) => void,
  ): () => void {
    let handlers = this.typeHandlers.get(type);
    if (!handlers) this.typeHandlers.set(type, (handlers = new Set()));
    // A wrapper per call: the same function registered twice runs twice and each off removes one.
    const entry: Handler = event => handler(event as ClientEvent<EventData<K>>);
    handlers.add(entry);
    return () => {
      handlers.delete(entry);
      if (handlers.size === 0 && this.typeHandlers.get(type) === handlers)
        this.typeHandlers.delete(type);
    };
  }

  async publish<K extends string>(
    type: K,
    data: EventData<K>,
  ): Promise<{ eventId: string }> {
    const ack = await this.ask(CLIENT_MESSAGES.publish, {
      type,
      data,
    } satisfies PublishPayload);
    if (!ack.ok || typeof ack.eventId !== 'string')
      throw refusal(ack, `publishing "${type}" was refused`);
    return { eventId: ack.eventId };
  }

  async signal(room: string, kind: string, data?: unknown): Promise<void> {
    const ack = await this.ask(
      CLIENT_MESSAGES.signal,
      (data === undefined
        ? { room, kind }
        : { room, kind, data }) satisfies SignalPayload,
    );
    if (!ack.ok)
      throw refusal(
        ack,
        `signal "${kind}" in room "${room}" was refused`,
        room,
      );
  }

  onSignal(handler: (signal: RoomSignal) => void): () => void {
    const entry = (signal: RoomSignal) => handler(signal);
    this.signalHandlers.add(entry);
    return () => {
      this.signalHandlers.delete(entry);
    };
  }

  request<T = GatewayAck>(message: string, payload?: unknown): Promise<T> {
    return this.emitWithAck<T>(message, payload);
  }

  onMessage<T = unknown>(
    name: string,
    handler: (payload: T) => void,
  ): () => void {
    const listener = (payload: T) => safely(handler, payload);
    this.socket.on(name, listener);
    return () => {
      this.socket.off(name, listener);
    };
  }

  close(): void {
    this.shutdown(new Error('the client was closed'));
  }

  // ---------------------------------------------------------------- connection

  private listen(): void {
    const socket = this.socket;
    socket.on('connect', () => {
      this.generation++;
      this.connectedAt = Date.now();
      this.authFailures = 0;
      this.shutdownNotice = false;
      this.move('transport-up');
    });
    socket.on(SERVER_EVENTS.established, (identity: ConnectionIdentity) => {
      this.identity = identity;
      this.establishedOn = this.generation;
      void this.setUp(this.generation);
    });
    socket.on('disconnect', reason => {
      this.generation++;
      // Events held for recoveries are asked for again on the next connection.
      this.tracker.dropHolds();
      this.move('transport-down');
      // socket.io reconnects by itself except after a server-side disconnect:
      // an instance shutting down (another one takes over) or the server dropping this socket.
      if (!this.closed && reason === 'io server disconnect')
        this.reconnectAfterServerDisconnect();
    });
    socket.on(
      'connect_error',
      (error: Error & { data?: { reason?: string } }) => {
        // Network failures: socket.io retries by itself and gives up with reconnect_failed.
        if (!this.closed && error.message === 'unauthorized')
          this.unauthorized(error.data?.reason);
      },
    );
    socket.on(SERVER_EVENTS.shutdown, () => {
      this.shutdownNotice = true;
    });
    socket.on(SERVER_EVENTS.signal, (signal: RoomSignal) => {
      for (const handler of [...this.signalHandlers]) safely(handler, signal);
    });
    socket.onAny((name: string, payload: unknown) => {
      if (
        name === SERVER_EVENTS.established ||
        name === SERVER_EVENTS.shutdown ||
        name === SERVER_EVENTS.signal ||
        !isClientEvent(payload)
      )
        return;
      for (const event of this.tracker.receive(payload)) this.deliver(event);
    });
    socket.io.on('reconnect_failed', () => {
      this.fail(
        new Error(
          `could not reconnect to ${this.options.url} after ${this.reconnection.attempts} attempts`,
        ),
      );
    });
  }

  /** socket.io's `auth` callback: runs before every connection attempt. */
  private authenticate(
    callback: (auth: Record<string, unknown>) => void,
  ): void {
    const { getToken, token } = this.options;
    if (!getToken) {
      callback(
        token === undefined
          ? { clientId: this.clientId }
          : { token, clientId: this.clientId },
      );
      return;
    }
    this.tokenError = undefined;
    Promise.resolve()
      .then(() => getToken())
      .then(
        fresh => callback({ token: fresh, clientId: this.clientId }),
        (error: unknown) => {
          // Connect without a token: the refusal comes back as unauthorized and is retried.
          this.tokenError =
            error instanceof Error ? error : new Error(String(error));
          callback({ clientId: this.clientId });
        },
      );
  }

  /** `connect_error` "unauthorized": socket.io does not retry it; with getToken the client does. */
  private unauthorized(serverReason: string | undefined): void {
    this.authFailures++;
    const reason = this.tokenError
      ? `getToken failed: ${this.tokenError.message}`
      : (serverReason ?? 'unauthorized');
    if (!this.options.getToken || this.authFailures >= this.maxAuthFailures) {
      this.fail(new ClientAuthError(reason));
      return;
    }
    // The first retry at once, with a fresh token; then socket.io's backoff.
    this.reconnectIn(
      this.authFailures === 1
        ? 0
        : reconnectDelay(this.authFailures - 2, this.reconnection),
    );
  }

  private reconnectAfterServerDisconnect(): void {
    if (this.shutdownNotice) {
      // The instance is going away; spread the reconnects of its clients over the first delay.
      this.kicks = 0;
      this.reconnectIn(Math.round(Math.random() * this.reconnection.delayMs));
      return;
    }
    // Dropped by the server (disconnectUser, abuse): back off, longer each time it happens soon after connecting.
    if (Date.now() - this.connectedAt > this.reconnection.maxDelayMs)
      this.kicks = 0;
    if (this.kicks >= this.reconnection.attempts) {
      this.fail(
        new Error(
          `the server disconnected this client ${this.kicks + 1} times in a row`,
        ),
      );
      return;
    }
    this.reconnectIn(reconnectDelay(this.kicks++, this.reconnection));
  }

  private reconnectIn(delayMs: number): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed && !this.socket.connected) this.socket.connect();
    }, delayMs);
  }

  /**
   * After `connection:established`: (re-)joins every room, each subscribed room
   * and each of the socket's own rooms with a last event id, asking for the
   * events after that id. `connected` once all acks are in.
   */
  private async setUp(generation: number): Promise<void> {
    const own = new Set(this.identity?.rooms ?? []);
    // Rooms the server put the socket in by itself (addUserToRoom) are not joined again.
    for (const room of this.tracker.roomNames())
      if (!this.rooms.has(room) && !own.has(room)) this.tracker.forget(room);
    const joins: Array<Promise<void>> = [];
    for (const entry of this.rooms.values())
      if (entry.sentOn !== generation)
        joins.push(this.join(entry.room, generation));
    for (const room of own)
      if (!this.rooms.has(room) && this.tracker.lastId(room) !== undefined)
        joins.push(this.join(room, generation));
    await Promise.all(joins);
    if (generation !== this.generation || this.closed) return;
    this.move('session-ready');
    this.readiness.resolve();
  }

  /**
   * Sends `subscribe` for a room on the current connection, with its last event
   * id when there is one; holds the room's events back until the ack, then
   * delivers them in order without those already delivered.
   */
  private async join(room: string, generation: number): Promise<void> {
    const entry = this.rooms.get(room);
    if (entry) entry.sentOn = generation;
    const rejoin = entry ? entry.joined : true; // an own room is only joined here on a reconnect
    const lastEventId = this.tracker.lastId(room);
    if (lastEventId !== undefined) this.tracker.hold(room);
    let ack: Ack;
    for (let attempt = 1; ; attempt++) {
      ack = await this.ask(
        CLIENT_MESSAGES.subscribe,
        (lastEventId !== undefined
          ? { room, lastEventId }
          : { room }) satisfies SubscribePayload,
      );
      if (generation !== this.generation) return; // that connection is gone: the next one joins again
      if (
        ack.ok ||
        !RETRYABLE.has(ack.code ?? '') ||
        attempt >= MAX_JOIN_ATTEMPTS
      )
        break;
      await sleep(reconnectDelay(attempt - 1, JOIN_RETRY));
      if (generation !== this.generation) return;
    }
    const current = this.rooms.get(room);
    if (entry && current !== entry) {
      // Unsubscribed while the ack was on its way.
      if (current) {
        for (const event of this.tracker.release(room, 'live'))
          this.deliver(event);
      } else if (!this.isOwnRoom(room)) {
        this.tracker.forget(room);
        if (ack.ok)
          void this.ask(CLIENT_MESSAGES.unsubscribe, {
            room,
          } satisfies UnsubscribePayload);
      }
      return;
    }
    if (ack.ok) {
      for (const event of this.tracker.release(
        room,
        ack.recovered === true ? 'replayed' : 'live',
        ack.replayOrder,
      ))
        this.deliver(event);
      if (entry) {
        entry.joined = true;
        entry.ready.resolve();
      }
      // Missed events could not come back: the server no longer had the last id, or there was none to ask from.
      const lost =
        lastEventId !== undefined
          ? ack.recovered !== true
          : rejoin && entry !== undefined;
      if (rejoin && lost)
        this.callback(() => this.options.onRecoveryFailed?.(room));
      return;
    }
    const error = refusal(ack, `joining room "${room}" was refused`, room);
    // An own room stays joined on the server: what came meanwhile is live.
    for (const event of this.tracker.release(room, 'live')) this.deliver(event);
    if (!entry) return;
    this.rooms.delete(room);
    this.tracker.forget(room);
    if (entry.joined) this.report(error);
    else entry.ready.reject(error);
  }

  private async leave(entry: RoomEntry, handler: Handler): Promise<void> {
    entry.handlers.delete(handler);
    if (entry.handlers.size > 0 || this.rooms.get(entry.room) !== entry) return;
    this.rooms.delete(entry.room);
    // The socket's own rooms stay joined (and tracked for recovery).
    if (this.isOwnRoom(entry.room)) return;
    this.tracker.forget(entry.room);
    if (!this.socket.connected || !entry.joined) return;
    const ack = await this.ask(CLIENT_MESSAGES.unsubscribe, {
      room: entry.room,
    } satisfies UnsubscribePayload);
    if (!ack.ok && ack.code !== 'disconnected' && ack.code !== 'closed')
      throw refusal(
        ack,
        `leaving room "${entry.room}" was refused`,
        entry.room,
      );
  }

  private isOwnRoom(room: string): boolean {
    return this.identity?.rooms.includes(room) ?? false;
  }

  private deliver(event: ClientEvent): void {
    const entry = this.rooms.get(event.room);
    if (entry)
      for (const handler of [...entry.handlers]) safely(handler, event);
    const typed = this.typeHandlers.get(event.type);
    if (typed) for (const handler of [...typed]) safely(handler, event);
  }

  private move(input: ConnectionInput): void {
    this.machine = transition(this.machine, input);
    this.state.set(this.machine.state);
  }

  /** A final failure: closes the client and tells the app. */
  private fail(error: Error): void {
    if (this.closed) return;
    this.shutdown(error);
    this.report(error);
  }

  private shutdown(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.socket.close();
    this.tracker.dropHolds();
    this.move('closed');
    this.readiness.reject(reason);
    for (const entry of this.rooms.values())
      if (!entry.joined)
        entry.ready.reject(
          new ClientAckError('closed', reason.message, entry.room),
        );
  }

  private report(error: Error): void {
    this.callback(() => this.options.onError?.(error));
  }

  private callback(run: () => void): void {
    try {
      run();
    } catch (error) {
      reportAsync(error);
    }
  }

  /** emitWithAck, with failures turned into a refusal-shaped ack. */
  private async ask(message: string, payload: unknown): Promise<Ack> {
    try {
      const ack = await this.emitWithAck<Ack>(message, payload);
      return ack && typeof ack === 'object'
        ? ack
        : {
            ok: false,
            code: 'internal',
            error: `unexpected ack ${JSON.stringify(ack)}`,
          };
    } catch (error) {
      if (error instanceof ClientAckError)
        return { ok: false, code: error.code, error: error.message };
      const text = (error as Error).message ?? String(error);
      const code = /timed out/.test(text)
        ? 'timeout'
        : /disconnected/.test(text)
          ? 'disconnected'
          : 'internal';
      return {
        ok: false,
        code,
        error:
          code === 'timeout' ? `no ack within ${this.ackTimeoutMs} ms` : text,
      };
    }
  }

  private emitWithAck<T>(message: string, payload: unknown): Promise<T> {
    if (this.closed)
      return Promise.reject(
        new ClientAckError('closed', 'the client is closed'),
      );
    const socket = this.socket.timeout(this.ackTimeoutMs);
    return (
      payload === undefined
        ? socket.emitWithAck(message)
        : socket.emitWithAck(message, payload)
    ) as Promise<T>;
  }
}

function refusal(ack: Ack, fallback: string, room?: string): ClientAckError {
  return new ClientAckError(
    ack.code ?? 'internal',
    ack.error ?? fallback,
    room,
  );
}

function isClientEvent(value: unknown): value is ClientEvent {
  const event = value as Partial<ClientEvent> | null;
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof event.id === 'string' &&
    typeof event.type === 'string' &&
    typeof event.room === 'string'
  );
}

function safely<T>(handler: (value: T) => void, value: T): void {
  try {
    handler(value);
  } catch (error) {
    reportAsync(error);
  }
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** A random id of the characters the gateway accepts, for `auth.clientId`. */
function randomClientId(): string {
  const uuid = (
    globalThis as { crypto?: { randomUUID?: () => string } }
  ).crypto?.randomUUID?.();
  return `c-${uuid ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`}`;
}
