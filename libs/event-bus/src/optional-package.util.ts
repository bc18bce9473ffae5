import { InvalidConfigurationError } from './errors/invalid-configuration.error.js';
import { messages } from './event-bus.messages.js';

/**
 * Imports an optional peer dependency (`prom-client`, `@nestjs/terminus`) when a
 * feature that needs it is used. Nothing in the entry point imports them
 * statically, so apps that do not use the feature need not install them.
 *
 * @throws InvalidConfigurationError naming the feature and the install command when the package is missing
 */
export async function loadOptionalPackage<T>(
  name: string,
  range: string,
  feature: string,
  importer: () => Promise<unknown>,
): Promise<T> {
  let loaded: unknown;
  try {
    loaded = await importer();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (
      code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      /Cannot find (module|package)/.test(String(error))
    ) {
      throw new InvalidConfigurationError(
        messages.missingOptionalPackage(name, range, feature),
      );
    }
    throw error;
  }
  // NOTE: a CommonJS package (prom-client) imported from ESM may put its exports under `default`.
  const namespace = loaded as { default?: unknown };
  return (
    namespace.default && typeof namespace.default === 'object'
      ? { ...namespace.default, ...namespace }
      : namespace
  ) as T;
}
