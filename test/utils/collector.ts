import type { EventEnvelope } from '@shared-infra/event-bus';

/**
 * Gathers events and waits for an exact count; `settle` then catches duplicate
 * deliveries (the `times(n)` idea of socket.io-redis-adapter's tests, for promises).
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
