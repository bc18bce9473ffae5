import type {
  CanActivate,
  ExecutionContext,
  ModuleMetadata,
  Type,
} from '@nestjs/common';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import {
  assertKnownKeys,
  assertNumber,
  assertTypeOf,
  isOptionsObject,
  optionKeys,
} from '../validation/option-keys.util.js';
import { adminMessages } from './admin.messages.js';
import type { EventBusAdminOptions } from './admin-options.interface.js';

const OWNER = 'EventBusAdminModule';

const KEYS = optionKeys<EventBusAdminOptions>({
  guard: true,
  path: true,
  imports: true,
  guardPage: true,
  readOnly: true,
  refreshMs: true,
});

/** Names other dashboards (Bull Board, Nest's own options) use for these. */
const ALIASES = {
  guards: 'guard',
  canActivate: 'guard',
  route: 'path',
  basePath: 'path',
  mountPath: 'path',
  pollInterval: 'refreshMs',
  refreshInterval: 'refreshMs',
  pollIntervalMs: 'refreshMs',
  readonly: 'readOnly',
} as const;

export const DEFAULT_ADMIN_PATH = '/admin/event-bus';
const PATH_PATTERN = /^(\/[A-Za-z0-9\-_.~]+)+$/;

/** The guard, sorted by kind (a class and a function are both `function`s). */
export type ResolvedAdminGuard =
  | { kind: 'class'; guard: Type<CanActivate> }
  | { kind: 'instance'; guard: CanActivate }
  | {
      kind: 'function';
      guard: (context: ExecutionContext) => boolean | Promise<boolean>;
    }
  | { kind: 'none' };

/** `EventBusAdminOptions` with defaults applied and every value checked. */
export interface ResolvedAdminConfig {
  path: string;
  guard: ResolvedAdminGuard;
  imports: NonNullable<ModuleMetadata['imports']>;
  guardPage: boolean;
  readOnly: boolean;
  refreshMs: number;
}

function shown(value: unknown): string {
  if (typeof value === 'function')
    return `a function (${value.name || 'anonymous'})`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function resolveGuard(guard: unknown): ResolvedAdminGuard {
  if (guard === undefined || guard === null)
    throw new InvalidConfigurationError(adminMessages.guardMissing());
  if (guard === 'none') return { kind: 'none' };
  if (typeof guard === 'function') {
    const prototype = (guard as { prototype?: { canActivate?: unknown } })
      .prototype;
    if (typeof prototype?.canActivate === 'function')
      return { kind: 'class', guard: guard as Type<CanActivate> };
    // A class without canActivate would throw at the first request (a class cannot be called).
    if (/^class\b/.test(Function.prototype.toString.call(guard)))
      throw new InvalidConfigurationError(
        adminMessages.guardInvalid(shown(guard)),
      );
    return {
      kind: 'function',
      guard: guard as (context: ExecutionContext) => boolean,
    };
  }
  if (
    isOptionsObject(guard) &&
    typeof (guard as { canActivate?: unknown }).canActivate === 'function'
  )
    return { kind: 'instance', guard: guard as unknown as CanActivate };
  throw new InvalidConfigurationError(adminMessages.guardInvalid(shown(guard)));
}

/**
 * Checks the options of `EventBusAdminModule.forRoot()` and applies the
 * defaults. A dashboard without a guard is refused unless `guard: 'none'`.
 *
 * @throws InvalidConfigurationError naming the option and what to give instead
 */
export function resolveAdminConfig(
  options: EventBusAdminOptions,
): ResolvedAdminConfig {
  if (options === undefined)
    throw new InvalidConfigurationError(adminMessages.guardMissing());
  assertKnownKeys('', options, KEYS, ALIASES, OWNER);
  const guard = resolveGuard(options.guard);
  const given: unknown = options.path ?? DEFAULT_ADMIN_PATH;
  const path = typeof given === 'string' ? given.replace(/(.)\/+$/, '$1') : '';
  if (
    !PATH_PATTERN.test(path) ||
    path.split('/').some(segment => segment === '.' || segment === '..')
  )
    throw new InvalidConfigurationError(
      adminMessages.pathInvalid(shown(options.path)),
    );
  if (options.imports !== undefined && !Array.isArray(options.imports))
    throw new InvalidConfigurationError(
      adminMessages.importsInvalid(shown(options.imports)),
    );
  assertTypeOf('guardPage', options.guardPage, 'boolean', OWNER);
  assertTypeOf('readOnly', options.readOnly, 'boolean', OWNER);
  assertNumber('refreshMs', options.refreshMs, 250, OWNER);
  return {
    path,
    guard,
    imports: options.imports ?? [],
    guardPage: options.guardPage ?? false,
    readOnly: options.readOnly ?? false,
    refreshMs: Math.round(options.refreshMs ?? 2000),
  };
}
