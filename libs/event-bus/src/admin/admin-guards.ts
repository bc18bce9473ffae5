import {
  ForbiddenException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ADMIN_WRITE_HEADER } from './admin.constants.js';
import { adminMessages } from './admin.messages.js';

interface HttpRequest {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
}

const header = (request: HttpRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** A guard given as a function (`guard: ctx => …`), as Nest's `UseGuards` takes guards. */
export class CallbackGuard implements CanActivate {
  constructor(
    private readonly callback: (
      context: ExecutionContext,
    ) => boolean | Promise<boolean>,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    return this.callback(context);
  }
}

/**
 * Runs after the app's guard on every dashboard request. Reads pass. Replay
 * and delete must carry `x-event-bus-admin: 1`: an HTML form or an image on
 * another site cannot set a header, and a cross-site `fetch` that sets one
 * needs a CORS preflight this server does not grant, so a guard that trusts
 * cookies cannot be ridden by another site (CSRF). Browsers that say where a
 * request comes from (`Sec-Fetch-Site`) are refused from anywhere but this origin.
 */
export class AdminWriteGuard implements CanActivate {
  constructor(private readonly readOnly: boolean) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const method = (request.method ?? 'GET').toUpperCase();
    if (method === 'GET' || method === 'HEAD') return true;
    if (this.readOnly) throw new ForbiddenException(adminMessages.readOnly());
    const site = header(request, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      throw new ForbiddenException(adminMessages.crossSiteWrite(site));
    if (header(request, ADMIN_WRITE_HEADER) !== '1')
      throw new ForbiddenException(
        adminMessages.writeWithoutHeader(ADMIN_WRITE_HEADER),
      );
    return true;
  }
}
