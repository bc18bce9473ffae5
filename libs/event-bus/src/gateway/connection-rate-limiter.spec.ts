import { describe, expect, it } from '@jest/globals';
import { ConnectionRateLimiter } from './connection-rate-limiter.js';
import type { SocketHandshake } from './interfaces.js';

const from = (address: string): SocketHandshake => ({
  address,
  auth: {},
  headers: {},
  query: {},
});

describe('ConnectionRateLimiter', () => {
  it('admits a burst per address, then one handshake per refill', () => {
    let now = 0;
    const limiter = new ConnectionRateLimiter(
      { burst: 3, perSecond: 1, key: h => h.address },
      () => now,
    );
    const a = from('10.0.0.1');
    expect([1, 2, 3, 4].map(() => limiter.admit(a))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    // Another address has its own bucket.
    expect(limiter.admit(from('10.0.0.2'))).toBe(true);
    now += 1000;
    expect(limiter.admit(a)).toBe(true);
    expect(limiter.admit(a)).toBe(false);
    expect(limiter.retryAfterSeconds).toBe(1);
  });

  it('never limits a handshake whose key is undefined', () => {
    const limiter = new ConnectionRateLimiter({
      burst: 1,
      perSecond: 0.001,
      key: h => (h.address === '127.0.0.1' ? undefined : h.address),
    });
    const local = from('127.0.0.1');
    expect([1, 2, 3].every(() => limiter.admit(local))).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it('stays bounded under handshakes from very many addresses', () => {
    let now = 0;
    const limiter = new ConnectionRateLimiter(
      { burst: 2, perSecond: 0.001, key: h => h.address },
      () => now,
    );
    for (let i = 0; i < 25_000; i++) {
      limiter.admit(from(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`));
      now += 1;
    }
    expect(limiter.size).toBeLessThanOrEqual(10_000);
  });
});
