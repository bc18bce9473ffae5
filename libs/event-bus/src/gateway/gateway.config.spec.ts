import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { resolveGatewayConfig } from './gateway.config.js';
import type { EventBusGatewayOptions } from './interfaces.js';

/** Every option of the README's gateway table, set. */
const fullOptions = (): EventBusGatewayOptions => ({
  jwt: {
    secret: 's3cret',
    algorithms: ['HS256'],
    issuer: 'photos',
    audience: 'web',
  },
  authorizeRoom: (_identity, room) => room.startsWith('photo:'),
  roomAuthorizer: { canJoin: () => true },
  authenticator: {
    authenticate: () => ({
      userId: 'u',
      clientId: 'c',
      permissions: [],
      claims: {},
    }),
  },
  corsOrigins: ['https://app.example.com'],
  maxHttpBufferSize: 65_536,
  maxRoomsPerSocket: 20,
  rateLimit: { burst: 30, perSecond: 5, disconnectAfter: 50 },
  presence: { heartbeatMs: 1000, ttlMs: 3000 },
  transports: ['websocket'],
  // Keys of allow are event patterns, not option names.
  clientEvents: {
    allow: { 'chat.message': null, 'photo.delete.requested': 'photos:write' },
    canPublish: () => true,
    maxDataBytes: 1024,
  },
  signals: { typingTimeoutMs: 1000, maxDataBytes: 512, canSignal: () => true },
  receiveOnlyRooms: ['announcements', 'status:*'],
  socketEventNames: { 'chat.message.new': 'message:new' },
  corsCredentials: false,
  pingInterval: 10_000,
  pingTimeout: 30_000,
  perMessageDeflate: { threshold: 2048 },
  globalEvents: ['system.**', 'maintenance.*'],
  rooms: { 'chat:*': { history: { maxLength: 500 }, presence: true } },
});

function refusal(options: unknown): string {
  try {
    resolveGatewayConfig(options as EventBusGatewayOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidConfigurationError');
}

describe('resolveGatewayConfig option keys', () => {
  it('accepts every documented option', () => {
    const config = resolveGatewayConfig(fullOptions());
    expect(config.rateLimit).toEqual({
      burst: 30,
      perSecond: 5,
      disconnectAfter: 50,
    });
    expect(config.clientEvents.allow).toHaveLength(2);
    expect(config.engine).toEqual({
      pingInterval: 10_000,
      pingTimeout: 30_000,
      corsCredentials: false,
      perMessageDeflate: { threshold: 2048 },
    });
    expect(config.globalEvents).toEqual(['system.**', 'maintenance.*']);
  });

  it("defaults the engine settings to socket.io's (not the seeds' 30-60 s and 1 MB)", () => {
    const config = resolveGatewayConfig({ jwt: { secret: 's' } });
    expect(config.engine).toEqual({
      pingInterval: 25_000,
      pingTimeout: 20_000,
      corsCredentials: true,
      perMessageDeflate: false,
    });
    expect(config.maxHttpBufferSize).toBe(128 * 1024);
    expect(config.globalEvents).toEqual(['system.**']);
    expect(
      resolveGatewayConfig({ jwt: { secret: 's' }, perMessageDeflate: true })
        .engine.perMessageDeflate,
    ).toEqual({ threshold: 1024 });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['pingInterval', { pingInterval: 500 }, '"pingInterval" is 500'],
    ['pingTimeout', { pingTimeout: '30000' }, '"pingTimeout" is "30000"'],
    ['pingTimeout', { pingTimeout: 3_600_000 }, 'from 1000 to 600000'],
    [
      'maxHttpBufferSize',
      { maxHttpBufferSize: 100 * 1024 * 1024 + 1 },
      '"maxHttpBufferSize" is 104857601: it must be a number >= 1024 and <= 104857600',
    ],
    ['corsCredentials', { corsCredentials: 'true' }, 'give true or false'],
    [
      'perMessageDeflate',
      { perMessageDeflate: 'yes' },
      'give true, false or { threshold }',
    ],
    [
      'perMessageDeflate',
      { perMessageDeflate: { treshold: 10 } },
      '"perMessageDeflate.treshold" of EventBusGatewayModule: did you mean "perMessageDeflate.threshold"?',
    ],
    [
      'perMessageDeflate',
      { perMessageDeflate: { threshold: -1 } },
      '"perMessageDeflate.threshold" is -1',
    ],
    [
      'globalEvents',
      { globalEvents: 'system.**' },
      '"globalEvents" is "system.**"',
    ],
    ['globalEvents', { globalEvents: ['system..x'] }, 'give event patterns'],
    [
      'a misspelled key',
      { pingIntervall: 1000 },
      'did you mean "pingInterval"?',
    ],
  ])('refuses a bad %s', (_what, extra, expected) => {
    expect(refusal({ jwt: { secret: 's' }, ...extra })).toContain(expected);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'root',
      { maxRoomPerSocket: 5 },
      'Unknown option "maxRoomPerSocket" of EventBusGatewayModule: did you mean "maxRoomsPerSocket"?',
    ],
    [
      'jwt',
      { jwt: { secret: 's', issuers: 'x' } },
      '"jwt.issuers" of EventBusGatewayModule: did you mean "jwt.issuer"?',
    ],
    [
      'rateLimit',
      { rateLimit: { perSec: 5 } },
      '"rateLimit.perSec" of EventBusGatewayModule',
    ],
    [
      'clientEvents',
      { clientEvents: { allow: {}, maxDataByte: 5 } },
      '"clientEvents.maxDataByte" of EventBusGatewayModule: did you mean "clientEvents.maxDataBytes"?',
    ],
    [
      'signals',
      { signals: { typingTimeout: 5 } },
      '"signals.typingTimeout" of EventBusGatewayModule: did you mean "signals.typingTimeoutMs"?',
    ],
    [
      'presence',
      { presence: { heartbeat: 5 } },
      '"presence.heartbeat" of EventBusGatewayModule: did you mean "presence.heartbeatMs"?',
    ],
  ])('refuses a misspelled key in %s', (_where, extra, expected) => {
    expect(refusal({ jwt: { secret: 's' }, ...extra })).toContain(expected);
  });

  it.each<[string, string]>([
    ['cors', 'did you mean "corsOrigins"?'],
    ['allowedOrigins', 'did you mean "corsOrigins"?'],
    [
      'connectTimeout',
      '"connectTimeout" is a socket.io server setting, not a gateway option: extend EventBusIoAdapter',
    ],
    ['secret', 'did you mean "jwt.secret"?'],
  ])("points the seeds' %s at what to do", (key, expected) => {
    expect(refusal({ jwt: { secret: 's' }, [key]: 1 })).toContain(expected);
  });

  it('refuses a callback that is not a function', () => {
    expect(refusal({ jwt: { secret: 's' }, authorizeRoom: true })).toBe(
      'Option "authorizeRoom" of EventBusGatewayModule is true: give a function.',
    );
  });

  it('renames the socket events of the types in socketEventNames only', () => {
    const { socketEventName } = resolveGatewayConfig(fullOptions());
    expect(socketEventName('chat.message.new')).toBe('message:new');
    expect(socketEventName('photo.uploaded')).toBe('photo.uploaded');
  });

  it.each<[string, unknown]>([
    ['a pattern', { 'chat.*': 'message:new' }],
    ['a reserved name', { 'chat.message.new': 'disconnect' }],
    // The gateway's own events of issue 18: a bus type must not pose as its pong or presence.
    ['the gateway pong', { 'chat.message.new': 'pong' }],
    ['presence:join', { 'chat.message.new': 'presence:join' }],
    ['presence:leave', { 'chat.message.new': 'presence:leave' }],
    ['an empty name', { 'chat.message.new': '' }],
    ['a list', ['message:new']],
  ])('refuses socketEventNames with %s', (_what, socketEventNames) => {
    expect(refusal({ jwt: { secret: 's' }, socketEventNames })).toContain(
      'Gateway option "socketEventNames"',
    );
  });
});
