import type { DeadLetter, StreamStore } from './stream-store.interface.js';

/**
 * Dead-letter operations on a stream store, shared by `EventBusService` and the
 * `dlq` command line so that both behave the same.
 */
export async function findDeadLetter(store: StreamStore, stream: string, id: string): Promise<DeadLetter | undefined> {
  const all = await store.listDeadLetters({ stream, count: Number.MAX_SAFE_INTEGER });
  return all.find(letter => letter.id === id);
}

/**
 * Appends the dead letter's event to its stream again, addressed to its original
 * group only (other groups ack it without running), then deletes the dead letter.
 * Resolves false when there is no such dead letter.
 */
export async function replayDeadLetter(store: StreamStore, stream: string, id: string): Promise<boolean> {
  const letter = await findDeadLetter(store, stream, id);
  if (!letter) return false;
  await store.append(stream, letter.payload, letter.group);
  await store.deleteDeadLetter(stream, id);
  return true;
}
