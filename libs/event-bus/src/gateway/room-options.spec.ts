import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type { ResolvedRoomHistoryOptions } from '../rooms/room-history.interface.js';
import { resolveGatewayConfig } from './gateway.config.js';
import type { EventBusGatewayOptions, SocketIdentity } from './interfaces.js';
import { RoomPolicy } from './room-options.js';

const BUS: ResolvedRoomHistoryOptions = {
  enabled: true,
  maxLength: 100,
  maxAgeMs: 300_000,
};
const OFF: ResolvedRoomHistoryOptions = {
  enabled: false,
  maxLength: 0,
  maxAgeMs: 0,
};

const identity = (permissions: string[] = []): SocketIdentity => ({
  userId: 'u',
  clientId: 'c',
  permissions,
  claims: {},
});

function refusal(rooms: unknown): string {
  try {
    resolveGatewayConfig({
      jwt: { secret: 's' },
      rooms,
    } as EventBusGatewayOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidConfigurationError');
}

describe('RoomPolicy (gateway option rooms)', () => {
  const policy = new RoomPolicy({
    '*': { history: { maxLength: 10 } },
    'chat:*': { presence: true, history: { maxLength: 500 } },
    'chat:vip:*': { history: false, publish: { permission: 'vip' } },
    'chat:lobby': { presence: false, publish: 'nobody' },
    'news:*': { publish: 'nobody' },
  });

  it('applies the exact name, else the longest matching prefix, alone', () => {
    expect(policy.resolve('chat:lobby', BUS)).toEqual({
      // The exact entry leaves history out: the bus' value, not chat:*'s.
      history: { enabled: true, maxLength: 100, maxAgeMs: 300_000 },
      presence: false,
      publish: 'nobody',
    });
    expect(policy.resolve('chat:42', BUS)).toEqual({
      history: { maxLength: 500, maxAgeMs: 300_000 },
      presence: true,
      publish: 'members',
    });
    expect(policy.resolve('chat:vip:1', BUS)).toEqual({
      history: false,
      presence: false,
      publish: { permission: 'vip' },
    });
    expect(policy.history('photo:1', BUS)).toEqual({
      maxLength: 10,
      maxAgeMs: 300_000,
    });
  });

  it('falls back to the bus history, and an entry turns history on where the bus has none', () => {
    const empty = new RoomPolicy();
    expect(empty.history('photo:1', BUS)).toBe(BUS);
    expect(empty.history('photo:1', OFF)).toBe(false);
    expect(empty.presence('photo:1')).toBe(false);
    expect(empty.anyPresence).toBe(false);
    expect(policy.history('chat:1', OFF)).toEqual({
      maxLength: 500,
      maxAgeMs: 300_000,
    });
    expect(policy.anyPresence).toBe(true);
  });

  it('lets members send unless the entry says nobody, or a permission they lack', () => {
    expect(policy.maySend(identity(), 'chat:1')).toBe(true);
    expect(policy.maySend(identity(), 'news:today')).toBe(false);
    expect(policy.maySend(identity(), 'chat:vip:1')).toBe(false);
    expect(policy.maySend(identity(['vip']), 'chat:vip:1')).toBe(true);
  });

  it('is resolved and checked with the gateway options', () => {
    const config = resolveGatewayConfig({
      jwt: { secret: 's' },
      rooms: { 'chat:*': { presence: true } },
    });
    expect(config.rooms.presence('chat:1')).toBe(true);
    expect(config.rooms.presence('photo:1')).toBe(false);
  });

  it.each<[string, unknown, string]>([
    [
      'a misspelled room key',
      { 'chat:*': { presense: true } },
      'Unknown option "rooms.chat:*.presense" of EventBusGatewayModule: did you mean "rooms.chat:*.presence"?',
    ],
    [
      'a misspelled history key',
      { 'chat:*': { history: { maxLenght: 5 } } },
      '"rooms.chat:*.history.maxLenght" of EventBusGatewayModule: did you mean "rooms.chat:*.history.maxLength"?',
    ],
    [
      'a bad room name',
      { 'chat rooms': {} },
      'Gateway option "rooms" has the key "chat rooms"',
    ],
    ['a star inside the name', { 'chat:*:x': {} }, 'has the key "chat:*:x"'],
    [
      'a history length that is no whole number',
      { 'chat:*': { history: { maxLength: 0 } } },
      '"rooms.chat:*.history.maxLength" of EventBusGatewayModule is 0',
    ],
    [
      'a history age under a second',
      { 'chat:*': { history: { maxAgeMs: 10 } } },
      '"rooms.chat:*.history.maxAgeMs" of EventBusGatewayModule is 10',
    ],
    [
      'a presence that is no boolean',
      { 'chat:*': { presence: 'yes' } },
      '"rooms.chat:*.presence" of EventBusGatewayModule is "yes"',
    ],
    [
      'an unknown publish policy',
      { 'chat:*': { publish: 'everyone' } },
      'Gateway option "rooms.chat:*.publish" is "everyone"',
    ],
    ['rooms that are no object', ['chat:*'], 'Gateway option "rooms" is'],
  ])('refuses %s', (_what, rooms, expected) => {
    expect(refusal(rooms)).toContain(expected);
  });

  it('refuses a misspelled "rooms" at the root', () => {
    expect(() =>
      resolveGatewayConfig({
        jwt: { secret: 's' },
        room: {},
      } as EventBusGatewayOptions),
    ).toThrow('did you mean "rooms"?');
  });
});
