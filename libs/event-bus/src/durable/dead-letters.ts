import type { EventCodec } from '../envelope/event-codec.js';
import { DeadLetterNotReplayableError } from '../errors/dead-letter-not-replayable.error.js';
import { messages } from '../event-bus.messages.js';
import type { StreamStore } from './stream-store.interface.js';

/**
 * Replay, shared by `EventBusService` and the `dlq` command line so that both
 * behave the same. Appends the dead letter's event to its stream again, addressed to its original
 * group only (other groups ack it without running), then deletes the dead letter.
 * Resolves false when there is no such dead letter.
 *
 * @param codec Checks the payload first: the bus' own codec, or the command line's (which does not
 *   know the bus' limits and checks only what no bus accepts).
 * @throws DeadLetterNotReplayableError when the payload is not an event `codec` can read (a
 *   malformed entry that was dead-lettered as such), or the letter names no group; nothing is sent.
 */
export async function replayDeadLetter(
  store: StreamStore,
  stream: string,
  id: string,
  codec: EventCodec,
): Promise<boolean> {
  const letter = await store.getDeadLetter(stream, id);
  if (!letter) return false;
  // NOTE: without a group the entry would go to every group of the stream, not the one that failed.
  const decoded = !letter.group
    ? { ok: false as const, reason: 'it names no group to replay to' }
    : letter.payload === ''
      ? { ok: false as const, reason: 'no payload: the entry had no "e" field' }
      : codec.decode(letter.payload);
  if (!decoded.ok)
    throw new DeadLetterNotReplayableError(
      messages.deadLetterNotReplayable(stream, id, decoded.reason),
      decoded.reason,
    );
  await store.append(stream, letter.payload, letter.group);
  await store.deleteDeadLetter(stream, id);
  return true;
}
