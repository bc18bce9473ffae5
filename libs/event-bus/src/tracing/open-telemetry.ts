import { BusTracer } from './bus-tracer.js';
import type { OtelApi, OtelTracerProvider } from './otel-api.js';

/** The provider that loads the api while the bus module starts. */
export const OPEN_TELEMETRY = Symbol('EVENT_BUS_OPEN_TELEMETRY');

/** The instrumentation scope of the bus' spans. */
export const TRACER_NAME = '@shared-infra/event-bus';

/** The api, once `loadOpenTelemetry` found it; undefined when it is not installed. */
let api: OtelApi | undefined;
let loading: Promise<void> | undefined;
/** The provider `activeTracer` last saw, and the tracer it made for it (undefined for the no-op one). */
let seenProvider: OtelTracerProvider | undefined;
let tracer: BusTracer | undefined;

/**
 * Imports `@opentelemetry/api` if it is installed (an optional peer: nothing
 * imports it statically). The bus module calls it once while it starts; when
 * the package is missing the bus makes no spans and writes no `traceparent`.
 */
export function loadOpenTelemetry(): Promise<void> {
  return (loading ??= import('@opentelemetry/api').then(
    loaded => {
      // NOTE: api 1.9 and older are CommonJS: from ESM their exports may sit under `default` too.
      const namespace = loaded as unknown as OtelApi & { default?: OtelApi };
      api =
        namespace.trace === undefined && namespace.default !== undefined
          ? namespace.default
          : namespace;
    },
    () => undefined,
  ));
}

/** The api's `NoopTracerProvider`: what a `ProxyTracerProvider` delegates to while no SDK is registered. */
function isNoop(provider: OtelTracerProvider): boolean {
  // NOTE: by name, not by identity: the app's SDK may have registered through another copy of the
  // api (its CommonJS build beside the ESM one), whose no-op provider is another object.
  return provider.constructor?.name === 'NoopTracerProvider';
}

/**
 * The bus' tracer while a tracer provider is registered, else undefined. This
 * is the one check the publisher and the invoker make per event: without the
 * api it reads a variable; with the api and no SDK registered (the no-op
 * provider) it asks the api for the registered provider and compares it with
 * the one it saw last.
 */
export function activeTracer(): BusTracer | undefined {
  if (api === undefined) return undefined;
  const registered = api.trace.getTracerProvider();
  const provider = registered.getDelegate?.() ?? registered;
  if (provider !== seenProvider) {
    seenProvider = provider;
    tracer = isNoop(provider)
      ? undefined
      : new BusTracer(api, provider.getTracer(TRACER_NAME));
  }
  return tracer;
}
