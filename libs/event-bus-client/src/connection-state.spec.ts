import {
  INITIAL_CONNECTION,
  reconnectDelay,
  transition,
  type ConnectionInput,
  type ConnectionMachine,
} from './connection-state.js';

const run = (...inputs: ConnectionInput[]): string[] => {
  let machine: ConnectionMachine = INITIAL_CONNECTION;
  const states = [machine.state];
  for (const input of inputs) {
    machine = transition(machine, input);
    if (machine.state !== states[states.length - 1]) states.push(machine.state);
  }
  return states;
};

describe('connection state', () => {
  it('connecting until the first session is ready', () => {
    expect(run('transport-up', 'session-ready')).toEqual([
      'connecting',
      'connected',
    ]);
  });

  it('stays connecting while the first connection comes and goes', () => {
    expect(
      run('transport-up', 'transport-down', 'transport-up', 'session-ready'),
    ).toEqual(['connecting', 'connected']);
  });

  it('after a drop: disconnected, then recovering on the new connection, then connected', () => {
    expect(
      run(
        'transport-up',
        'session-ready',
        'transport-down',
        'transport-up',
        'session-ready',
      ),
    ).toEqual([
      'connecting',
      'connected',
      'disconnected',
      'recovering',
      'connected',
    ]);
  });

  it('a drop during recovery goes back to disconnected', () => {
    expect(
      run(
        'transport-up',
        'session-ready',
        'transport-down',
        'transport-up',
        'transport-down',
        'transport-up',
        'session-ready',
      ),
    ).toEqual([
      'connecting',
      'connected',
      'disconnected',
      'recovering',
      'disconnected',
      'recovering',
      'connected',
    ]);
  });

  it('closed is final', () => {
    let machine = transition(
      transition(INITIAL_CONNECTION, 'transport-up'),
      'closed',
    );
    expect(machine).toMatchObject({ state: 'disconnected', closed: true });
    for (const input of [
      'transport-up',
      'session-ready',
      'transport-down',
    ] as const)
      machine = transition(machine, input);
    expect(machine.state).toBe('disconnected');
  });
});

describe('reconnectDelay', () => {
  const options = {
    delayMs: 500,
    maxDelayMs: 10_000,
    randomization: 0.5,
    attempts: Infinity,
  };

  it('doubles from delayMs up to maxDelayMs', () => {
    const middle = () => 0.5; // no jitter
    expect(
      [0, 1, 2, 3, 4, 5, 50].map(n => reconnectDelay(n, options, middle)),
    ).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('varies by up to the randomization either way', () => {
    expect(reconnectDelay(1, options, () => 0)).toBe(500);
    expect(reconnectDelay(1, options, () => 0.999999)).toBe(1500);
    expect(
      reconnectDelay(1, { ...options, randomization: 0 }, Math.random),
    ).toBe(1000);
  });
});
