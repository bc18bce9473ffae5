import {
  ForbiddenException,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { BearerAuthGuard } from './bearer-auth.guard.js';

/** The permission the event bus dashboard asks for, in the token's `permissions` claim. */
export const ADMIN_PERMISSION = 'admin';

/**
 * The demo's guard of the event bus dashboard (`EventBusAdminModule`): a valid
 * bearer token (401 otherwise, from `BearerAuthGuard`) whose `permissions`
 * claim holds `admin` (403 otherwise). The demo's `POST /auth/token` adds it
 * only when asked with `"admin": true`; a real app grants it in its login.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly bearer: BearerAuthGuard,
    private readonly jwt: JwtService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    this.bearer.canActivate(context);
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined> }>();
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const claims = this.jwt.decode<{ permissions?: unknown }>(token![1]);
    const permissions = Array.isArray(claims?.permissions)
      ? claims.permissions
      : [];
    if (!permissions.includes(ADMIN_PERMISSION))
      throw new ForbiddenException(
        `The event bus dashboard needs the "${ADMIN_PERMISSION}" permission: the demo's POST /auth/token adds it with {"userId":"…","admin":true}.`,
      );
    return true;
  }
}
