import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  type ApplicationConfig,
  DiscoveryService,
  ExternalContextCreator,
  MetadataScanner,
} from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import {
  EVENT_ARGS_METADATA,
  EVENT_BUS_CONTEXT_TYPE,
} from '../event-bus.constants.js';
import { messages } from '../event-bus.messages.js';

// The key @UseFilters writes (Nest's EXCEPTION_FILTERS_METADATA, not exported from the package root).
const EXCEPTION_FILTERS_METADATA = '__exceptionFilters__';
import { randomUUID } from 'node:crypto';
import { EventRouter } from '../routing/event-router.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import { EventMetadataAccessor } from './event-metadata.accessor.js';
import { EventParamsFactory } from './event-params.factory.js';

/**
 * Finds `@OnEvent` methods on every provider and controller at bootstrap and
 * registers them with the bus, wrapped by Nest's `ExternalContextCreator` so that
 * guards, interceptors, pipes and exception filters apply.
 */
@Injectable()
export class EventHandlersExplorer implements OnApplicationBootstrap {
  private readonly paramsFactory = new EventParamsFactory();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: EventMetadataAccessor,
    private readonly contextCreator: ExternalContextCreator,
    private readonly router: EventRouter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const wrappers = [
      ...this.discovery.getProviders(),
      ...this.discovery.getControllers(),
    ];
    for (const wrapper of wrappers) await this.explore(wrapper);
  }

  private async explore(wrapper: InstanceWrapper): Promise<void> {
    // NOTE: aliases (useExisting) point at a provider that is explored on its own.
    if (wrapper.isAlias) return;
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    const prototype = instance
      ? Object.getPrototypeOf(instance)
      : (wrapper.metatype as { prototype?: object } | null)?.prototype;
    if (!prototype || prototype === Object.prototype) return;
    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const metadata = this.accessor.getOnEventMetadata(
        (prototype as Record<string, unknown>)[methodName],
      );
      if (!metadata) continue;
      const className =
        (prototype.constructor as { name?: string }).name ?? 'anonymous';
      if (!wrapper.isDependencyTreeStatic() || !instance) {
        throw new InvalidConfigurationError(
          messages.requestScopedHandler(className, methodName),
        );
      }
      const call = this.wrap(instance, methodName);
      for (const { pattern, options } of metadata) {
        await this.router.add(
          pattern,
          call,
          options,
          options.name ?? `${className}.${methodName}`,
          randomUUID(),
        );
      }
    }
  }

  private wrap(
    instance: Record<string, unknown>,
    methodName: string,
  ): (event: EventEnvelope) => unknown {
    const method = instance[methodName] as (...args: unknown[]) => unknown;
    // NOTE: exception filters only when the handler or its class asks for them with @UseFilters.
    // Global filters are written for HTTP hosts, and Nest's fallback filter would log every
    // failed attempt a second time; the invoker logs failures itself, with event and trace ids.
    const filters =
      Reflect.hasMetadata(EXCEPTION_FILTERS_METADATA, method) ||
      Reflect.hasMetadata(
        EXCEPTION_FILTERS_METADATA,
        instance.constructor as object,
      );
    // NOTE: with nothing for Nest to apply, its wrapper only adds three async functions per call
    // (and, with AsyncLocalStorage on, a hook run per promise): the method is called as it is.
    if (!filters && !this.hasEnhancers(instance, method, methodName))
      return callDirectly(instance, method);
    return this.contextCreator.create(
      instance,
      method,
      methodName,
      EVENT_ARGS_METADATA,
      this.paramsFactory,
      undefined,
      undefined,
      { guards: true, interceptors: true, filters },
      EVENT_BUS_CONTEXT_TYPE,
    );
  }

  /**
   * Whether Nest would apply anything around the method: a guard, interceptor
   * or pipe on it, its class or globally, or a parameter decorator. True when
   * the global ones cannot be read (then Nest's wrapper runs, as always).
   */
  private hasEnhancers(
    instance: Record<string, unknown>,
    method: object,
    methodName: string,
  ): boolean {
    const type = instance.constructor as object;
    if (Reflect.hasMetadata(EVENT_ARGS_METADATA, type, methodName)) return true;
    for (const key of LOCAL_ENHANCERS) {
      const onMethod = Reflect.getMetadata(key, method) as
        unknown[] | undefined;
      const onClass = Reflect.getMetadata(key, type) as unknown[] | undefined;
      if (onMethod?.length || onClass?.length) return true;
    }
    // Nest reads the global enhancers when it builds a wrapper; so does this, at the same moment.
    const config = (
      this.contextCreator as unknown as {
        container?: { applicationConfig?: unknown };
      }
    ).container?.applicationConfig as Partial<ApplicationConfig> | undefined;
    if (!config) return true;
    return GLOBAL_ENHANCERS.some(name => {
      const read = config[name] as (() => unknown[]) | undefined;
      return typeof read !== 'function' || read.call(config).length > 0;
    });
  }
}

// Nest's GUARDS_METADATA, INTERCEPTORS_METADATA and PIPES_METADATA (not exported from the package root).
const LOCAL_ENHANCERS = ['__guards__', '__interceptors__', '__pipes__'];
const GLOBAL_ENHANCERS = [
  'getGlobalGuards',
  'getGlobalInterceptors',
  'getGlobalPipes',
  'getGlobalRequestGuards',
  'getGlobalRequestInterceptors',
  'getGlobalRequestPipes',
] as const;

/** The handler as Nest's wrapper calls it when it applies nothing: `method(event)`, an Observable awaited. */
function callDirectly(
  instance: Record<string, unknown>,
  method: (...args: unknown[]) => unknown,
): (event: EventEnvelope) => unknown {
  return event => {
    const result = method.call(instance, event);
    return isObservable(result) ? lastValueFrom(result) : result;
  };
}
