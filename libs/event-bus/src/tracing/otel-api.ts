/**
 * The parts of `@opentelemetry/api` the bus calls, declared structurally: the
 * package is an optional peer, so neither the bus' code nor its published
 * declarations may need its types. Any 1.x version matches.
 */

export type OtelAttributes = Record<string, string | number | boolean>;

/** An opaque OpenTelemetry `Context`. */
export type OtelContext = object;

export interface OtelTraceState {
  serialize(): string;
}

export interface OtelSpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
  traceState?: OtelTraceState;
}

export interface OtelSpan {
  spanContext(): OtelSpanContext;
  setAttribute(key: string, value: string | number | boolean): unknown;
  addEvent(name: string, attributes?: OtelAttributes): unknown;
  recordException(exception: string | Error): void;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

export interface OtelSpanOptions {
  kind: number;
  attributes?: OtelAttributes;
  links?: Array<{ context: OtelSpanContext; attributes?: OtelAttributes }>;
}

export interface OtelTracer {
  startSpan(
    name: string,
    options: OtelSpanOptions,
    context?: OtelContext,
  ): OtelSpan;
}

export interface OtelTracerProvider {
  getTracer(name: string, version?: string): OtelTracer;
  /** On the api's `ProxyTracerProvider` (what `trace.getTracerProvider()` returns): the registered provider. */
  getDelegate?(): OtelTracerProvider;
}

export interface OtelApi {
  trace: {
    getTracerProvider(): OtelTracerProvider;
    getSpan(context: OtelContext): OtelSpan | undefined;
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
    setSpanContext(
      context: OtelContext,
      spanContext: OtelSpanContext,
    ): OtelContext;
  };
  context: {
    active(): OtelContext;
    with<A extends unknown[], R>(
      context: OtelContext,
      fn: (...args: A) => R,
      thisArg?: unknown,
      ...args: A
    ): R;
  };
  ROOT_CONTEXT: OtelContext;
  SpanKind: { PRODUCER: number; CONSUMER: number };
  SpanStatusCode: { ERROR: number };
  /** Since api 1.1. */
  createTraceState?(raw?: string): OtelTraceState;
}
