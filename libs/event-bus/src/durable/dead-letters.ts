import type { StreamStore } from './stream-store.interface.js';

/**
 * Replay, shared by `EventBusService` and the `dlq` command line so that both
 * behave the same. Appends the dead letter's event to its stream again, addressed to its original
 * group only (other groups ack it without running), then deletes the dead letter.
 * Resolves false when there is no such dead letter.
 */
export async function replayDeadLetter(store: StreamStore, stream: string, id: string): Promise<boolean> {
  const letter = await store.getDeadLetter(stream, id);
  if (!letter) return false;
  await store.append(stream, letter.payload, letter.group);
  await store.deleteDeadLetter(stream, id);
  return true;
}
