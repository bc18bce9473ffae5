import { AsyncLocalStorage } from 'node:async_hooks';

/** What a handler's publishes inherit from the event being handled. */
export interface TraceContext {
  traceId: string;
  correlationId: string;
  eventId: string;
}

/**
 * The trace of the event whose handler is running. The invoker enters it around
 * each handler call; `publish` reads it, so events published inside a handler
 * carry the same `traceId` and have the handled event as their `causationId`.
 */
export const traceStorage = new AsyncLocalStorage<TraceContext>();

/** The trace of the handler running now, if any. */
export function currentTrace(): TraceContext | undefined {
  return traceStorage.getStore();
}
