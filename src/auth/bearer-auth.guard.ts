import {
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { IDENTITY_ID_PATTERN } from '@shared-infra/event-bus';

/** The caller of a guarded route, as `@CurrentUser()` hands it to the handler. */
export interface DemoUser {
  userId: string;
}

/** A request that passed `BearerAuthGuard`. */
export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: DemoUser;
}

const SIGN_IN_HINT =
  'sign in first: POST /auth/token with {"userId":"…"}, then send the token as "Authorization: Bearer <token>"';

/**
 * Lets a request through only with `Authorization: Bearer <jwt>` signed with
 * the demo's secret (the tokens `POST /auth/token` hands out and the socket
 * gateway accepts), and puts its user on `request.user` for `@CurrentUser()`.
 * Anything else is a 401 that says how to get a token.
 *
 * @example
 * @Get()
 * @UseGuards(BearerAuthGuard)
 * list(@CurrentUser() user: DemoUser) { … }
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.user = this.verify(request.headers.authorization);
    return true;
  }

  private verify(header: string | string[] | undefined): DemoUser {
    const value = Array.isArray(header) ? header[0] : header;
    const match = /^Bearer\s+(\S+)$/i.exec(value ?? '');
    if (!match) {
      throw new UnauthorizedException(`No bearer token: ${SIGN_IN_HINT}.`);
    }
    let claims: { sub?: unknown; userId?: unknown };
    try {
      claims = this.jwt.verify(match[1]);
    } catch (error) {
      const expired = (error as Error).name === 'TokenExpiredError';
      throw new UnauthorizedException(
        `${expired ? 'The token has expired' : 'The token is not valid'}: ${SIGN_IN_HINT}.`,
      );
    }
    // The same claims the gateway reads for a socket's user: `sub`, else `userId`.
    const userId =
      typeof claims.sub === 'string'
        ? claims.sub
        : typeof claims.userId === 'string'
          ? claims.userId
          : undefined;
    if (!userId || !IDENTITY_ID_PATTERN.test(userId)) {
      throw new UnauthorizedException(
        `The token names no valid user: ${SIGN_IN_HINT}.`,
      );
    }
    return { userId };
  }
}
