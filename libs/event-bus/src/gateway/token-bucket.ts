/** How long a client must stay within its rate for its refusals to be forgiven. */
export const FORGIVE_AFTER_MS = 1000;

/**
 * A token bucket: `take()` succeeds while tokens are left; they refill at
 * `perSecond` up to `burst`. Counts refusals until the client has kept to its
 * rate for FORGIVE_AFTER_MS, for cutting off abuse: a steady flood gets a
 * token now and then, and must not be forgiven by it.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  /** Refusals with no quiet `FORGIVE_AFTER_MS` between them. */
  refusals = 0;
  private lastRefusedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(
      this.burst,
      this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond,
    );
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      if (now - this.lastRefusedAt >= FORGIVE_AFTER_MS) this.refusals = 0;
      return true;
    }
    this.refusals++;
    this.lastRefusedAt = now;
    return false;
  }
}
