import type {
  CanActivate,
  ExecutionContext,
  ModuleMetadata,
  Type,
} from '@nestjs/common';

/**
 * Who may use the dashboard: a guard class of the app (built by Nest in the
 * admin module, so its dependencies come from `imports`), a guard instance, a
 * function, or `'none'` (unsafe: no protection at all).
 *
 * @publicApi
 */
export type EventBusAdminGuard =
  | Type<CanActivate>
  | CanActivate
  | ((context: ExecutionContext) => boolean | Promise<boolean>)
  | 'none';

/**
 * Options of `EventBusAdminModule.forRoot()`.
 *
 * @publicApi
 */
export interface EventBusAdminOptions {
  /**
   * Required. Runs before every API request of the dashboard (and before the
   * page itself with `guardPage: true`); throw (401/403) or return false to refuse.
   */
  guard: EventBusAdminGuard;
  /** URL path of the dashboard (default `/admin/event-bus`); the app's global prefix applies. */
  path?: string;
  /** Modules the guard class needs (e.g. the app's `AuthModule` exporting `JwtService`). */
  imports?: ModuleMetadata['imports'];
  /**
   * Guard the HTML page too (default false). The page is the same static file
   * for everyone and holds no data; leaving it open lets apps whose guard reads
   * a bearer token (which a browser does not send on navigation) open it and
   * paste a token. Set true for cookie or basic-auth guards.
   */
  guardPage?: boolean;
  /** Refuse replay and delete (default false). */
  readOnly?: boolean;
  /**
   * How often, in ms, the page refreshes and each instance reports its
   * figures (gateway sockets, rates) to the others (default 2000, at least 250).
   */
  refreshMs?: number;
}
