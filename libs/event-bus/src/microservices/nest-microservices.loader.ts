import type * as Microservices from '@nestjs/microservices';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { loadOptionalPackage } from '../optional-package.util.js';

type Namespace = typeof Microservices;

const FEATURE = 'EventBusServer / EventBusClientProxy (@nestjs/microservices interop)';

/**
 * Loads `@nestjs/microservices`, an optional peer, once when the library loads.
 * `EventBusServer` and `EventBusClientProxy` must extend its `Server` and
 * `ClientProxy` classes, so (unlike the health module, which imports Terminus in
 * `forRoot`) the import cannot wait until first use.
 *
 * NOTE: it never throws. Without the package (or when it fails to load), the
 * bases below are stand-ins whose constructor throws the reason, so apps that do
 * not use the interop load the library as before.
 */
async function load(): Promise<Namespace | string> {
  try {
    return await loadOptionalPackage<Namespace>('@nestjs/microservices', '^12', FEATURE, () => import('@nestjs/microservices'));
  } catch (error) {
    return error instanceof InvalidConfigurationError
      ? error.message
      : `${FEATURE} could not load "@nestjs/microservices": ${(error as Error).message}`;
  }
}

const loaded = await load();

function unavailable(reason: string): abstract new (...args: never[]) => object {
  return class {
    constructor() {
      throw new InvalidConfigurationError(reason);
    }
  };
}

/** Base of `EventBusContext`; a plain holder of the arguments without the package. */
class ArgsContext<T = unknown[]> {
  constructor(protected readonly args: T) {}
  getArgs(): T {
    return this.args;
  }
  getArgByIndex(index: number): unknown {
    return Array.isArray(this.args) ? this.args[index] : undefined;
  }
}

/** `Server` of `@nestjs/microservices`. @internal */
export const ServerBase = (typeof loaded === 'string' ? unavailable(loaded) : loaded.Server) as unknown as typeof Microservices.Server;

/** `ClientProxy` of `@nestjs/microservices`. @internal */
export const ClientProxyBase = (typeof loaded === 'string' ? unavailable(loaded) : loaded.ClientProxy) as unknown as typeof Microservices.ClientProxy;

/** `BaseRpcContext` of `@nestjs/microservices`. @internal */
export const RpcContextBase = (typeof loaded === 'string' ? ArgsContext : loaded.BaseRpcContext) as unknown as typeof Microservices.BaseRpcContext;
