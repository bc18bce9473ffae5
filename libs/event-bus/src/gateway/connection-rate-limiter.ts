import type { SocketHandshake } from './interfaces.js';
import { TokenBucket } from './token-bucket.js';

/** Addresses tracked at most; past it, the ones whose bucket has refilled are forgotten. */
const MAX_TRACKED = 10_000;

/** `connectionRateLimit` with defaults applied. */
export interface ResolvedConnectionRateLimit {
  burst: number;
  perSecond: number;
  key: (handshake: SocketHandshake) => string | undefined;
}

interface Tracked {
  bucket: TokenBucket;
  lastSeen: number;
}

/**
 * A token bucket per client address over handshakes (`connectionRateLimit`),
 * checked before the token is verified, so a flood of connection attempts
 * from one address costs a map lookup each. Per instance: behind a load
 * balancer each instance limits what it receives.
 */
export class ConnectionRateLimiter {
  private readonly tracked = new Map<string, Tracked>();
  /** How long an idle address takes to refill its whole burst. */
  private readonly refillMs: number;

  constructor(
    private readonly limits: ResolvedConnectionRateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.refillMs = (limits.burst / limits.perSecond) * 1000;
  }

  /** Whether this handshake may go on; undefined key (exempted): always. */
  admit(handshake: SocketHandshake): boolean {
    const key = this.limits.key(handshake);
    if (key === undefined) return true;
    const now = this.now();
    let entry = this.tracked.get(key);
    if (entry === undefined) {
      if (this.tracked.size >= MAX_TRACKED) this.forgetRefilled(now);
      entry = {
        bucket: new TokenBucket(
          this.limits.burst,
          this.limits.perSecond,
          this.now,
        ),
        lastSeen: now,
      };
      this.tracked.set(key, entry);
    }
    entry.lastSeen = now;
    return entry.bucket.take();
  }

  /** Seconds until an address that was just refused gets a handshake back. */
  get retryAfterSeconds(): number {
    return Math.ceil(1 / this.limits.perSecond);
  }

  /** Addresses tracked now (for tests). */
  get size(): number {
    return this.tracked.size;
  }

  private forgetRefilled(now: number): void {
    for (const [key, entry] of this.tracked) {
      // A bucket idle for refillMs is full again: forgetting it changes nothing.
      if (now - entry.lastSeen >= this.refillMs) this.tracked.delete(key);
    }
    // Still full (attempts from more addresses than that within one refill): the oldest
    // tenth goes, so memory stays bounded and a scan comes once per thousand new addresses,
    // not per handshake; those addresses start again from a full bucket.
    for (const key of this.tracked.keys()) {
      if (this.tracked.size < MAX_TRACKED * 0.9) break;
      this.tracked.delete(key);
    }
  }
}
