import { ConcurrencyLimiter } from './concurrency-limiter.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run. */
const flush = () => new Promise<void>(resolve => setImmediate(resolve));

/** A limiter whose tasks wait until released, recording starts and the peak of concurrent runs. */
function harness(max: number, maxQueued: number) {
  const limiter = new ConcurrencyLimiter(max, maxQueued);
  const started: number[] = [];
  const gates = new Map<number, Deferred>();
  let running = 0;
  let peak = 0;
  const submit = (n: number): boolean =>
    limiter.run(done => {
      const gate = deferred();
      gates.set(n, gate);
      started.push(n);
      running++;
      peak = Math.max(peak, running);
      const finish = () => {
        running--;
        done();
      };
      gate.promise.then(finish, finish);
    });
  return {
    limiter,
    started,
    submit,
    gate: (n: number) => gates.get(n)!,
    get peak() {
      return peak;
    },
  };
}

describe('ConcurrencyLimiter.run', () => {
  it('runs at most max tasks at once', async () => {
    const h = harness(3, 100);
    for (let i = 0; i < 10; i++) expect(h.submit(i)).toBe(true);
    expect(h.limiter.running).toBe(3);
    expect(h.limiter.waiting).toBe(7);
    for (let i = 0; i < 10; i++) {
      h.gate(i).resolve();
      await flush();
      expect(h.limiter.running).toBeLessThanOrEqual(3);
    }
    expect(h.peak).toBe(3);
    expect(h.started).toHaveLength(10);
  });

  it('refuses tasks past maxQueued', () => {
    const h = harness(2, 3);
    const accepted = Array.from({ length: 7 }, (_, i) => h.submit(i));
    expect(accepted).toEqual([true, true, true, true, true, false, false]);
    expect(h.limiter.running).toBe(2);
    expect(h.limiter.waiting).toBe(3);
  });

  it('accepts again once the queue drains', async () => {
    const h = harness(1, 1);
    expect([h.submit(0), h.submit(1), h.submit(2)]).toEqual([
      true,
      true,
      false,
    ]);
    h.gate(0).resolve();
    await flush();
    expect(h.submit(3)).toBe(true);
  });

  it('queues nothing with maxQueued 0', () => {
    const h = harness(1, 0);
    expect([h.submit(0), h.submit(1)]).toEqual([true, false]);
  });

  it('starts queued tasks in FIFO order', async () => {
    const h = harness(1, 100);
    for (let i = 0; i < 6; i++) h.submit(i);
    for (let i = 0; i < 6; i++) {
      h.gate(i).resolve();
      await flush();
    }
    expect(h.started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('frees the slot of a rejecting task', async () => {
    const h = harness(1, 10);
    h.submit(0);
    h.submit(1);
    h.gate(0).reject(new Error('handler failed'));
    await flush();
    expect(h.started).toEqual([0, 1]);
    expect(h.limiter.running).toBe(1);
    h.gate(1).reject(new Error('again'));
    await h.limiter.onIdle();
    expect(h.limiter.running).toBe(0);
  });
});

describe('ConcurrencyLimiter with tasks that finish before they return', () => {
  it('runs a long queue of them in a loop, not by recursion (no stack overflow)', async () => {
    const limiter = new ConcurrencyLimiter(1, 200_000);
    const gate = deferred();
    limiter.run(done => void gate.promise.then(done));
    let ran = 0;
    let accepted = 0;
    for (let i = 0; i < 100_000; i++)
      if (limiter.run(done => (ran++, done()))) accepted++;
    expect(accepted).toBe(100_000);
    expect(limiter.waiting).toBe(100_000);
    gate.resolve();
    await limiter.onIdle();
    expect(ran).toBe(100_000);
    expect(limiter.running).toBe(0);
  });

  it('frees the slot of a task that throws, and ignores a second done()', async () => {
    const limiter = new ConcurrencyLimiter(1, 10);
    const order: string[] = [];
    limiter.run(() => {
      order.push('throws');
      throw new Error('task bug');
    });
    limiter.run(done => {
      order.push('twice');
      done();
      done();
    });
    limiter.run(done => {
      order.push('after');
      done();
    });
    expect(order).toEqual(['throws', 'twice', 'after']);
    expect(limiter.running).toBe(0);
    await expect(limiter.onIdle()).resolves.toBeUndefined();
  });
});

describe('ConcurrencyLimiter.onIdle', () => {
  it('resolves at once when nothing runs', async () => {
    await expect(
      new ConcurrencyLimiter(1, 1).onIdle(),
    ).resolves.toBeUndefined();
  });

  it('resolves only when every task is done', async () => {
    const h = harness(2, 10);
    for (let i = 0; i < 4; i++) h.submit(i);
    let idle = false;
    const waiters = [h.limiter.onIdle(), h.limiter.onIdle()];
    void Promise.all(waiters).then(() => (idle = true));
    for (const n of [0, 1, 2]) {
      h.gate(n).resolve();
      await flush();
      expect(idle).toBe(false);
    }
    h.gate(3).resolve();
    await Promise.all(waiters);
    expect(idle).toBe(true);
    expect(h.limiter.running).toBe(0);
    expect(h.limiter.waiting).toBe(0);
  });
});

describe('ConcurrencyLimiter.clear', () => {
  it('drops waiting tasks and returns how many', async () => {
    const h = harness(1, 10);
    for (let i = 0; i < 5; i++) h.submit(i);
    expect(h.limiter.clear()).toBe(4);
    expect(h.limiter.waiting).toBe(0);
    expect(h.limiter.running).toBe(1);
    h.gate(0).resolve();
    await h.limiter.onIdle();
    expect(h.started).toEqual([0]);
  });

  it('returns 0 when nothing waits', () => {
    expect(new ConcurrencyLimiter(1, 1).clear()).toBe(0);
  });

  it('keeps working after a clear', async () => {
    const h = harness(1, 10);
    h.submit(0);
    h.submit(1);
    h.limiter.clear();
    h.submit(2);
    h.gate(0).resolve();
    await flush();
    expect(h.started).toEqual([0, 2]);
    h.gate(2).resolve();
    await h.limiter.onIdle();
  });
});
