import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { IDENTITY_ID_PATTERN } from '@shared-infra/event-bus';

/** What the demo's HTTP routes need to know about the caller. */
export interface DemoUser {
  userId: string;
}

const SIGN_IN_HINT = 'sign in first: POST /auth/token with {"userId":"…"}, then send the token as "Authorization: Bearer <token>"';

/**
 * Reads the user from an `Authorization: Bearer <jwt>` header, with the same
 * tokens the socket gateway accepts (`POST /auth/token` hands them out).
 */
@Injectable()
export class BearerAuth {
  constructor(private readonly jwt: JwtService) {}

  /** The user of the request; throws 401 with what to do when there is none or it is invalid. */
  userFrom(headers: Record<string, string | string[] | undefined>): DemoUser {
    const header = headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    const match = /^Bearer\s+(\S+)$/i.exec(value ?? '');
    if (!match) throw new UnauthorizedException(`No bearer token: ${SIGN_IN_HINT}.`);
    let claims: { sub?: unknown; userId?: unknown };
    try {
      claims = this.jwt.verify(match[1]);
    } catch (error) {
      const expired = (error as Error).name === 'TokenExpiredError';
      throw new UnauthorizedException(`${expired ? 'The token has expired' : 'The token is not valid'}: ${SIGN_IN_HINT}.`);
    }
    const userId = typeof claims.sub === 'string' ? claims.sub : typeof claims.userId === 'string' ? claims.userId : undefined;
    if (!userId || !IDENTITY_ID_PATTERN.test(userId)) throw new UnauthorizedException(`The token names no valid user: ${SIGN_IN_HINT}.`);
    return { userId };
  }

  /** Like `userFrom`, but undefined when the request carries no Authorization header at all. */
  optionalUserFrom(headers: Record<string, string | string[] | undefined>): DemoUser | undefined {
    return headers.authorization === undefined ? undefined : this.userFrom(headers);
  }
}
