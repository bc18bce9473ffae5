/**
 * Runs at most `max` tasks at once and keeps at most `maxQueued` waiting, so a
 * slow handler holds a bounded amount of memory however fast events arrive.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private queue: Array<() => Promise<void>> = [];
  private head = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly maxQueued: number,
  ) {}

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Starts or queues the task; false when the queue is full and the task was refused. */
  run(task: () => Promise<void>): boolean {
    if (this.active < this.max) {
      this.start(task);
      return true;
    }
    if (this.waiting >= this.maxQueued) return false;
    this.queue.push(task);
    return true;
  }

  /** Drops every waiting task; returns how many were dropped. */
  clear(): number {
    const dropped = this.waiting;
    this.queue = [];
    this.head = 0;
    this.notifyIfIdle();
    return dropped;
  }

  /** Resolves when nothing runs and nothing waits. */
  onIdle(): Promise<void> {
    if (this.active === 0 && this.waiting === 0) return Promise.resolve();
    return new Promise(resolve => this.idleWaiters.push(resolve));
  }

  private start(task: () => Promise<void>): void {
    this.active++;
    let running: Promise<void>;
    try {
      running = task();
    } catch (error) {
      // A task that throws instead of rejecting must still free its slot.
      running = Promise.reject(error);
    }
    running.then(
      () => this.next(),
      () => this.next(),
    );
  }

  private next(): void {
    this.active--;
    if (this.head < this.queue.length) {
      const task = this.queue[this.head];
      this.queue[this.head++] = undefined as never;
      // Compact now and then so the array does not grow without bound.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.start(task);
      return;
    }
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.active !== 0 || this.waiting !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
