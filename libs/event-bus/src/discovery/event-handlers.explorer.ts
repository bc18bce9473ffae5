import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
} from '@nestjs/common/constants.js';
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
    if (!filters && !this.hasEnhancers(instance, method, methodName)) {
      // Nothing for Nest to add: the method itself, as Nest would call it (an Observable it
      // returns is awaited to its last value). Nest's wrapper makes every call async (four
      // promises and, with an async result, a timeout timer per event) even for a sync method.
      return event => {
        const result = method.call(instance, event);
        return isObservable(result) ? lastValueFrom(result) : result;
      };
    }
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
   * Whether a guard, an interceptor or a parameter decorator (and with it the pipes) applies to
   * the method: its own, its class' or a global one (`useGlobalGuards`, `APP_INTERCEPTOR`, …).
   * Pipes alone do nothing without parameter decorators: Nest passes the arguments through.
   */
  private hasEnhancers(
    instance: Record<string, unknown>,
    method: (...args: unknown[]) => unknown,
    methodName: string,
  ): boolean {
    const ctor = instance.constructor as object;
    if (
      Reflect.getMetadata(EVENT_ARGS_METADATA, ctor, methodName) !== undefined
    )
      return true;
    for (const key of [GUARDS_METADATA, INTERCEPTORS_METADATA]) {
      for (const target of [method, ctor]) {
        const enhancers = Reflect.getMetadata(key, target) as
          unknown[] | undefined;
        if (enhancers !== undefined && enhancers.length > 0) return true;
      }
    }
    // NOTE: Nest sets `container` on the creator the DI hands out; without it (another Nest
    // version) every handler keeps the full wrapper.
    const config = (
      this.contextCreator as unknown as {
        container?: { applicationConfig?: ApplicationConfig };
      }
    ).container?.applicationConfig;
    if (config === undefined) return true;
    return (
      config.getGlobalGuards().length > 0 ||
      config.getGlobalRequestGuards().length > 0 ||
      config.getGlobalInterceptors().length > 0 ||
      config.getGlobalRequestInterceptors().length > 0
    );
  }
}
