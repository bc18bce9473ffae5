/**
 * A token bucket: `take()` succeeds while tokens are left; they refill at
 * `perSecond` up to `burst`. Counts refusals in a row, for cutting off abuse.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  /** Refusals since the last accepted message. */
  refusedInARow = 0;

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
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refusedInARow = 0;
      return true;
    }
    this.refusedInARow++;
    return false;
  }
}
