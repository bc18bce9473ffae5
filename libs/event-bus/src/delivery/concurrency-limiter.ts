/**
 * A limited task: it calls `done` once it has finished, however it ended
 * (a second call is ignored). A callback instead of a returned promise: the
 * limiter runs once per delivered event, and on Node 20 every promise also
 * runs the AsyncLocalStorage hooks.
 */
export type LimitedTask = (done: () => void) => void;

/**
 * Runs at most `max` tasks at once and keeps at most `maxQueued` waiting, so a
 * slow handler holds a bounded amount of memory however fast events arrive.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private queue: LimitedTask[] = [];
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
  run(task: LimitedTask): boolean {
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

  /**
   * Runs `task`, and then, as long as tasks finish before they return (a sync
   * handler), the queued ones in this loop rather than by recursion, so a long
   * queue of quick tasks cannot overflow the stack.
   */
  private start(task: LimitedTask): void {
    for (
      let current: LimitedTask | undefined = task;
      current !== undefined;
      current = this.dequeue()
    ) {
      this.active++;
      let returned = false;
      let finishedEarly = false;
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        if (!returned) {
          finishedEarly = true;
          return;
        }
        this.active--;
        const next = this.dequeue();
        if (next !== undefined) this.start(next);
      };
      try {
        current(done);
      } catch {
        // A task that throws instead of calling done must still free its slot.
        done();
      }
      returned = true;
      if (!finishedEarly) return;
      this.active--;
    }
  }

  /** The next waiting task, or undefined (and waiters told) when none waits. */
  private dequeue(): LimitedTask | undefined {
    if (this.head >= this.queue.length) {
      this.notifyIfIdle();
      return undefined;
    }
    const task = this.queue[this.head];
    this.queue[this.head++] = undefined as never;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return task;
  }

  private notifyIfIdle(): void {
    if (this.active !== 0 || this.waiting !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
