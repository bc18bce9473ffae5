/** Metadata key that `@OnEvent` writes on a handler method. */
export const ON_EVENT_METADATA = 'event-bus:on_event';
/** Metadata key for the parameter decorators of `@OnEvent` handlers. */
export const EVENT_ARGS_METADATA = 'event-bus:args';
/** Injection token of the active transport (memory or redis). */
export const EVENT_BUS_TRANSPORT = 'event-bus:transport';
/** Context type that guards and interceptors see through `ExecutionContext.getType()`. */
export const EVENT_BUS_CONTEXT_TYPE = 'event-bus';
/** Version written into every envelope; receivers reject versions they do not know. */
export const ENVELOPE_VERSION = 1;
/** Default limits, from the product's original contract (1 MB envelope, 512 KB data). */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
export const DEFAULT_MAX_DATA_BYTES = 512 * 1024;
/** Default bound on the payload bytes waiting while Redis is unreachable. */
export const DEFAULT_MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
/** Default deepest nesting of `data` (objects and arrays), far beyond real events. */
export const DEFAULT_MAX_DEPTH = 64;
/**
 * Highest `limits.maxDepth` accepted: `JSON.stringify`, socket.io's encoder and class-transformer
 * recurse and overflow the call stack a few thousand levels down (fewer inside a deep call).
 */
export const MAX_DEPTH_CEILING = 1000;
/** Lower-case dot-separated segments: `photo.processing.completed`. */
export const EVENT_TYPE_REGEX = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$/;
export const MAX_EVENT_TYPE_LENGTH = 255;
/** Injection token of the resolved `EventBusHealthModule` options. */
export const EVENT_BUS_HEALTH_OPTIONS = 'event-bus:health_options';
