import type { EventEnvelope } from '@shared-infra/event-bus';

/**
 * Gathers events and waits for an exact count; `until` then catches duplicate
 * deliveries (the `times(n)` idea of socket.io-redis-adapter's tests, for promises):
 * a marker sent after the events under test, by the same route, arrives after
 * anything they produced, so "nothing else came" needs no guessed quiet period.
 */
export class Collector<T = EventEnvelope> {
  readonly items: T[] = [];
  private waiters: Array<() => void> = [];

  readonly push = (item: T): void => {
    this.items.push(item);
    for (const wake of this.waiters.splice(0)) wake();
  };

  get length(): number {
    return this.items.length;
  }

  clear(): void {
    this.items.length = 0;
  }

  /** Resolves when at least `count` items arrived; rejects after timeoutMs with what did arrive. */
  async waitFor(count: number, timeoutMs = 5000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `expected ${count} items, got ${this.items.length} after ${timeoutMs} ms`,
        );
      }
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.items.slice();
  }

  /**
   * Waits for an item `isMarker` accepts (a marker sent after the events under
   * test, by the same route) and returns the others, so a test can assert that
   * nothing extra arrived before it. `markers`: how many to wait for, e.g. one
   * per stream when the events under test went to several.
   */
  async until(
    isMarker: (item: T) => boolean,
    timeoutMs = 5000,
    markers = 1,
  ): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.filter(isMarker).length < markers) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `expected ${markers} markers, got ${this.items.filter(isMarker).length} after ${timeoutMs} ms (${this.items.length} items in all)`,
        );
      }
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.items.filter(item => !isMarker(item));
  }

  /** Waits `ms` more and returns everything, so a test can assert nothing extra arrived. */
  async settle(ms = 150): Promise<T[]> {
    await new Promise(r => setTimeout(r, ms));
    return this.items.slice();
  }
}

/** Polls `check` until it returns true or the time runs out. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}
