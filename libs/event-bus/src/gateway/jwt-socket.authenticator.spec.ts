import { identityFromClaims } from './jwt-socket.authenticator.js';
import type { SocketHandshake } from './interfaces.js';
import { SocketAuthError } from './socket-auth.error.js';

const handshake = (auth?: Record<string, unknown>): SocketHandshake => ({
  headers: {},
  query: {},
  address: '127.0.0.1',
  auth: auth ?? {},
});

describe('identityFromClaims', () => {
  it('takes the clientId claim, else a well-formed auth.clientId, else the socket id', () => {
    expect(
      identityFromClaims(
        { sub: 'u', clientId: 'laptop' },
        handshake({ clientId: 'phone' }),
        'sock',
      ).clientId,
    ).toBe('laptop');
    expect(
      identityFromClaims({ sub: 'u' }, handshake({ clientId: 'phone' }), 'sock')
        .clientId,
    ).toBe('phone');
    expect(identityFromClaims({ sub: 'u' }, handshake(), 'sock').clientId).toBe(
      'sock',
    );
  });

  it.each([['c:1'], ['{a}'], [''], [42], ['x'.repeat(101)]])(
    'gives the socket id for a client-chosen auth.clientId %j',
    clientId => {
      expect(
        identityFromClaims({ sub: 'u' }, handshake({ clientId }), 'sock')
          .clientId,
      ).toBe('sock');
    },
  );

  it.each([
    ['clientId', 'x:y'],
    ['clientId', 42],
    ['clientId', ''],
    ['client_id', 'a b'],
  ])(
    'refuses a token whose %s claim is %j, naming the claim',
    (name, value) => {
      const refuse = () =>
        identityFromClaims(
          { sub: 'u', [name]: value },
          handshake({ clientId: 'phone' }),
          'sock',
        );
      expect(refuse).toThrow(SocketAuthError);
      expect(refuse).toThrow(`token claim "${name}" is not a valid client id`);
    },
  );
});
