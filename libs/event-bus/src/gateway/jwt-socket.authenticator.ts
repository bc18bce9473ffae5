import type * as NestJwt from '@nestjs/jwt';
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { loadOptionalPackage } from '../optional-package.util.js';
import { IDENTITY_ID_PATTERN } from '../rooms/room-names.js';
import type {
  GatewayJwtOptions,
  SocketAuthenticator,
  SocketHandshake,
  SocketIdentity,
} from './interfaces.js';
import { SocketAuthError } from './socket-auth.error.js';

/** The token of a handshake: `auth.token`, else an `Authorization: Bearer` header. */
export function extractToken(handshake: SocketHandshake): string | undefined {
  const fromAuth = (handshake.auth as Record<string, unknown> | undefined)
    ?.token;
  const raw =
    typeof fromAuth === 'string' ? fromAuth : handshake.headers?.authorization;
  if (typeof raw !== 'string' || raw.length === 0) return undefined;
  return raw.startsWith('Bearer ') ? raw.slice(7).trim() : raw.trim();
}

/**
 * Maps verified claims to an identity. `fallbackClientId` is used when the
 * token names no client: the handshake's `auth.clientId` if well-formed, else
 * the socket id. A `clientId` (or `client_id`) claim that is not a valid id
 * refuses the handshake.
 */
export function identityFromClaims(
  claims: Record<string, unknown>,
  handshake: SocketHandshake,
  fallbackClientId: string,
): SocketIdentity {
  const userId = claims.sub ?? claims.userId;
  if (typeof userId !== 'string' || !IDENTITY_ID_PATTERN.test(userId)) {
    throw new SocketAuthError(
      'token has no valid subject: set "sub" (or "userId") to 1-100 characters of letters, digits and "_ - . @"',
    );
  }
  const asked = (handshake.auth as Record<string, unknown> | undefined)
    ?.clientId;
  const claimName = claims.clientId !== undefined ? 'clientId' : 'client_id';
  const claimed = claims[claimName];
  // The issuer's mistake: a device it named must not silently become another one.
  if (claimed !== undefined && pickId(claimed) === undefined)
    throw new SocketAuthError(
      `token claim "${claimName}" is not a valid client id: 1-100 characters of letters, digits and "_ - . @"`,
    );
  // A client-chosen id is a hint: a malformed one gets the socket id, as if none was given.
  const clientId =
    (claimed as string | undefined) ?? pickId(asked) ?? fallbackClientId;
  const sessionId = pickId(claims.sessionId ?? claims.sid);
  const permissions = Array.isArray(claims.permissions)
    ? claims.permissions.filter((p): p is string => typeof p === 'string')
    : typeof claims.scope === 'string'
      ? claims.scope.split(' ').filter(Boolean)
      : [];
  return {
    userId,
    clientId,
    ...(sessionId ? { sessionId } : {}),
    permissions,
    claims,
  };
}

function pickId(value: unknown): string | undefined {
  return typeof value === 'string' && IDENTITY_ID_PATTERN.test(value)
    ? value
    : undefined;
}

/**
 * The default authenticator: verifies a JWT with `@nestjs/jwt` (imported when
 * the gateway starts, so apps without a gateway need not install it).
 */
export class JwtSocketAuthenticator implements SocketAuthenticator {
  /**
   * The key, made once. Given a string, jsonwebtoken first tries it as a public
   * key (which throws) and builds a key object on every verification; that was
   * most of a connection's cost (about 0.5 ms against 20 µs).
   */
  private readonly key: KeyObject;

  private constructor(
    private readonly jwt: NestJwt.JwtService,
    private readonly options: GatewayJwtOptions,
  ) {
    this.key = options.secret
      ? createSecretKey(Buffer.from(options.secret))
      : createPublicKey(options.publicKey!);
  }

  static async create(
    options: GatewayJwtOptions,
  ): Promise<JwtSocketAuthenticator> {
    const pkg = await loadOptionalPackage<typeof NestJwt>(
      '@nestjs/jwt',
      '^12',
      "the gateway's JWT authentication",
      () => import('@nestjs/jwt'),
    );
    return new JwtSocketAuthenticator(new pkg.JwtService({}), options);
  }

  async authenticate(handshake: SocketHandshake): Promise<SocketIdentity> {
    const token = extractToken(handshake);
    if (!token)
      throw new SocketAuthError(
        'missing token: pass it as auth.token (or an Authorization: Bearer header)',
      );
    if (token.length > 8192)
      throw new SocketAuthError('invalid token: longer than 8192 characters');
    const { secret, issuer, audience } = this.options;
    const algorithms =
      this.options.algorithms ?? (secret ? ['HS256'] : ['RS256', 'ES256']);
    let claims: Record<string, unknown>;
    try {
      claims = await this.jwt.verifyAsync<Record<string, unknown>>(token, {
        // The typings say string | Buffer; jsonwebtoken takes a KeyObject as it is.
        ...(secret
          ? { secret: this.key as unknown as string }
          : { publicKey: this.key as unknown as string }),
        algorithms: algorithms as NestJwt.JwtVerifyOptions['algorithms'],
        ...(issuer ? { issuer } : {}),
        ...(audience ? { audience } : {}),
      });
    } catch (error) {
      const { name, message } = error as Error;
      if (name === 'TokenExpiredError')
        throw new SocketAuthError('token expired');
      if (name === 'NotBeforeError')
        throw new SocketAuthError('token not active yet');
      throw new SocketAuthError(`invalid token: ${message}`);
    }
    return identityFromClaims(claims, handshake, '');
  }
}
