import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type { EventBusService } from '../event-bus.service.js';
import type { EventBusTransportOptions } from './event-pattern-extras.interface.js';
import { microservicesMessages } from './microservices.messages.js';

/** The bus out of `bus` or `{ bus }`; throws naming the fix when there is none. */
export function resolveBus(
  options: EventBusTransportOptions | undefined,
  role: string,
): EventBusService {
  const bus = options && 'bus' in options ? options.bus : options;
  if (
    !bus ||
    typeof (bus as Partial<EventBusService>).subscribe !== 'function'
  ) {
    throw new InvalidConfigurationError(microservicesMessages.missingBus(role));
  }
  return bus as EventBusService;
}
