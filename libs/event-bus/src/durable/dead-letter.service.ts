import { Inject, Injectable } from '@nestjs/common';
import { EventCodec } from '../envelope/event-codec.js';
import { EVENT_BUS_CONFIG, type EventBusConfig } from '../event-bus.config.js';
import { replayDeadLetter } from './dead-letters.js';
import { DurableManager } from './durable.manager.js';
import type { DeadLetter } from './stream-store.interface.js';

/**
 * The dead letters of durable handlers: the events a handler failed past its
 * retries (or that no handler could read), kept per stream with the error,
 * attempts and handler. Inject it to look at them, replay or delete them; the
 * `dlq` command line does the same from a shell.
 *
 * @example
 * for (const letter of await this.deadLetters.list({ stream: 'order' }))
 *   await this.deadLetters.replay(letter.stream, letter.id);
 *
 * @publicApi
 */
@Injectable()
export class DeadLetterService {
  private readonly codec: EventCodec;

  constructor(
    @Inject(EVENT_BUS_CONFIG) config: EventBusConfig,
    private readonly durable: DurableManager,
  ) {
    this.codec = new EventCodec(config.limits);
  }

  /** Dead letters, oldest first (of one stream, the first segment of the type, or all); `after` (an id) pages on. */
  list(
    options: { stream?: string; count?: number; after?: string } = {},
  ): Promise<DeadLetter[]> {
    return this.durable.store.listDeadLetters(options);
  }

  /** Number of dead letters (of one stream, or all). */
  count(stream?: string): Promise<number> {
    return this.durable.store.countDeadLetters(stream);
  }

  /** Dead letters per stream, for every stream that has received durable events. */
  async countByStream(): Promise<Map<string, number>> {
    const store = this.durable.store;
    const counts = new Map<string, number>();
    for (const stream of await store.streams())
      counts.set(stream, await store.countDeadLetters(stream));
    return counts;
  }

  /** One dead letter, with its payload, error, stack, attempts and handler. */
  get(stream: string, id: string): Promise<DeadLetter | undefined> {
    return this.durable.store.getDeadLetter(stream, id);
  }

  /**
   * Sends a dead letter back to its original group (only that group handles it
   * again) and removes it from the dead letters. Resolves false when not found.
   * Rejects with `DeadLetterNotReplayableError` when it holds no event this bus
   * can read (its limits included); nothing is sent then.
   */
  replay(stream: string, id: string): Promise<boolean> {
    return replayDeadLetter(this.durable.store, stream, id, this.codec);
  }

  /** Deletes one dead letter. */
  delete(stream: string, id: string): Promise<boolean> {
    return this.durable.store.deleteDeadLetter(stream, id);
  }

  /** Deletes every dead letter (of one stream, or all); resolves how many. */
  purge(stream?: string): Promise<number> {
    return this.durable.store.purgeDeadLetters(stream);
  }
}
