import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('lets a burst through, then refuses', () => {
    const bucket = new TokenBucket(3, 1, clock);
    expect([
      bucket.take(),
      bucket.take(),
      bucket.take(),
      bucket.take(),
    ]).toEqual([true, true, true, false]);
    expect(bucket.refusals).toBe(1);
  });

  it('refills at the given rate, never above the burst', () => {
    const bucket = new TokenBucket(2, 10, clock);
    bucket.take();
    bucket.take();
    expect(bucket.take()).toBe(false);
    now += 100; // one token
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    now += 60_000;
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('forgives refusals once the client kept to its rate for a second', () => {
    const bucket = new TokenBucket(1, 1, clock);
    bucket.take();
    for (let i = 0; i < 5; i++) bucket.take();
    expect(bucket.refusals).toBe(5);
    now += 1000;
    expect(bucket.take()).toBe(true);
    expect(bucket.refusals).toBe(0);
  });

  it('does not forgive a steady flood for the tokens it gets now and then', () => {
    const bucket = new TokenBucket(5, 20, clock);
    let accepted = 0;
    // 1,000 messages a second for 3 s: 50 times the rate.
    for (let i = 0; i < 3000; i++) {
      if (bucket.take()) accepted++;
      now += 1;
    }
    expect(accepted).toBeGreaterThan(50);
    expect(bucket.refusals).toBe(3000 - accepted);
  });
});
