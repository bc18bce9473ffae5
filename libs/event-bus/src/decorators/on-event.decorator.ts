import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { ON_EVENT_METADATA } from '../event-bus.constants.js';
import { messages } from '../event-bus.messages.js';
import type {
  OnEventMetadata,
  OnEventOptions,
} from '../interfaces/on-event-options.interface.js';
import { isValidPattern } from '../matching/pattern-matcher.js';

/**
 * Makes a provider method an event handler. The bus finds it at bootstrap and
 * calls it on the provider instance, so injected services are there; guards,
 * interceptors, pipes and filters apply as on a controller. Stack it, or pass an
 * array, to handle several patterns.
 *
 * @param pattern `photo.uploaded`, `photo.*` (one segment), `photo.**` (any number)
 * @param options retry, timeout, filter, concurrency
 *
 * @example
 * @OnEvent('photo.uploaded', { retry: { maxRetries: 5 } })
 * async process(event: EventOf<'photo.uploaded'>) { … }
 *
 * @publicApi
 */
export function OnEvent(
  pattern: string | string[],
  options: OnEventOptions = {},
): MethodDecorator {
  const patterns = Array.isArray(pattern) ? pattern : [pattern];
  for (const p of patterns) {
    if (!isValidPattern(p))
      throw new InvalidConfigurationError(messages.invalidPattern(p));
  }
  return (_target, _key, descriptor) => {
    // NOTE: append rather than overwrite, so stacked @OnEvent decorators add up.
    const previous: OnEventMetadata[] =
      Reflect.getMetadata(ON_EVENT_METADATA, descriptor.value as object) ?? [];
    const added = patterns.map(p => ({ pattern: p, options }));
    Reflect.defineMetadata(
      ON_EVENT_METADATA,
      [...previous, ...added],
      descriptor.value as object,
    );
    return descriptor;
  };
}
