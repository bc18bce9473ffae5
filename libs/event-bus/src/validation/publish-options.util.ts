import { EventValidationError } from '../errors/event-validation.error.js';
import { messages } from '../event-bus.messages.js';
import type { PublishOptions } from '../interfaces/publish.interface.js';
import { didYouMean, optionKeys } from './option-keys.util.js';

const PUBLISH_KEYS = optionKeys<PublishOptions>({
  traceId: true,
  correlationId: true,
  causationId: true,
  idempotencyKey: true,
  delay: true,
  at: true,
});
const KNOWN = new Set(PUBLISH_KEYS);
const ALIASES: Record<string, string> = {
  delayMs: 'delay',
  delayed: 'delay',
  runAt: 'at',
  deliverAt: 'at',
  scheduledAt: 'at',
  when: 'at',
};

/**
 * Refuses a publish option the bus does not read, by name: a misspelled `delay`
 * would otherwise publish the event at once. Called only for publishes that
 * pass options (a loop over a few keys); publishes without options skip it.
 *
 * @throws EventValidationError naming the key and the one meant
 */
export function checkPublishOptionKeys(options: PublishOptions): void {
  for (const key in options) {
    if (KNOWN.has(key)) continue;
    const meant = ALIASES[key] ?? didYouMean(key, PUBLISH_KEYS);
    throw new EventValidationError(
      messages.unknownOption(
        `"${key}" of publish()`,
        meant,
        undefined,
        PUBLISH_KEYS,
      ),
      key,
    );
  }
}
