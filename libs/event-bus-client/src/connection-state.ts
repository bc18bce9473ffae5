/**
 * Where a client's connection is:
 * - `connecting`: before the first connection (handshake, token, first subscriptions);
 * - `connected`: the server accepted the socket and every subscription is in place;
 * - `recovering`: reconnected; rooms are being re-joined and their missed events replayed;
 * - `disconnected`: the connection dropped (socket.io is reconnecting), or the client is
 *   closed or gave up (then it stays there).
 *
 * @publicApi
 */
export type ConnectionState =
  'connecting' | 'connected' | 'recovering' | 'disconnected';

/** What moves the state. */
export type ConnectionInput =
  /** socket.io `connect`: the server accepted the handshake. */
  | 'transport-up'
  /** `connection:established` arrived and every subscription was acknowledged. */
  | 'session-ready'
  /** socket.io `disconnect`. */
  | 'transport-down'
  /** `close()`, or a final failure (authentication, reconnection attempts exhausted). */
  | 'closed';

export interface ConnectionMachine {
  readonly state: ConnectionState;
  /** Reached `connected` at least once: later connections recover. */
  readonly everConnected: boolean;
  /** Closed for good: no input moves it any more. */
  readonly closed: boolean;
}

export const INITIAL_CONNECTION: ConnectionMachine = {
  state: 'connecting',
  everConnected: false,
  closed: false,
};

/**
 * The next state. Before the first connection the client is `connecting`
 * however often the transport comes and goes; afterwards a drop is
 * `disconnected` and a new connection `recovering` until its subscriptions are
 * back. `closed` is final.
 */
export function transition(
  machine: ConnectionMachine,
  input: ConnectionInput,
): ConnectionMachine {
  if (machine.closed) return machine;
  switch (input) {
    case 'transport-up':
      return {
        ...machine,
        state: machine.everConnected ? 'recovering' : 'connecting',
      };
    case 'session-ready':
      return { ...machine, state: 'connected', everConnected: true };
    case 'transport-down':
      return {
        ...machine,
        state: machine.everConnected ? 'disconnected' : 'connecting',
      };
    case 'closed':
      return { ...machine, state: 'disconnected', closed: true };
  }
}

/** socket.io's reconnection settings, with the client's defaults applied. */
export interface ResolvedReconnection {
  delayMs: number;
  maxDelayMs: number;
  randomization: number;
  attempts: number;
}

/**
 * Delay before reconnection attempt `attempt` (0-based) that the client makes
 * itself (after a server-side disconnect or a refused token, which socket.io
 * does not retry): socket.io's own formula, `delayMs × 2^attempt` give or take
 * `randomization`, at most `maxDelayMs`.
 */
export function reconnectDelay(
  attempt: number,
  options: ResolvedReconnection,
  random: () => number = Math.random,
): number {
  const base = options.delayMs * Math.pow(2, Math.min(attempt, 30));
  const deviation = base * options.randomization * (random() * 2 - 1);
  return Math.max(
    0,
    Math.round(Math.min(base + deviation, options.maxDelayMs)),
  );
}
