import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('lets a burst through, then refuses', () => {
    const bucket = new TokenBucket(3, 1, clock);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(bucket.refusedInARow).toBe(1);
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
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });

  it('counts refusals in a row and resets on an accepted message', () => {
    const bucket = new TokenBucket(1, 1, clock);
    bucket.take();
    for (let i = 0; i < 5; i++) bucket.take();
    expect(bucket.refusedInARow).toBe(5);
    now += 1000;
    expect(bucket.take()).toBe(true);
    expect(bucket.refusedInARow).toBe(0);
  });
});
