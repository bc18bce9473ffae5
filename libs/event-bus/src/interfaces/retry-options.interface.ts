/**
 * Retry policy of a handler: exponential backoff with jitter.
 * Delay before retry n (1-based) is `min(maxDelay, initialDelay * multiplier^(n-1))`,
 * then jittered.
 *
 * @publicApi
 */
export interface RetryOptions {
  /**
   * Retries after the first failed attempt; 0 disables retrying.
   * @default 3
   */
  maxRetries: number;
  /**
   * Delay before the first retry, in ms.
   * @default 1000
   */
  initialDelay: number;
  /**
   * Factor applied to the delay after each retry.
   * @default 2
   */
  multiplier: number;
  /**
   * Upper bound of one delay, in ms.
   * @default 10000
   */
  maxDelay: number;
  /**
   * `'full'`: a random delay in [0, d); `'equal'`: in [d/2, d); `'none'`: exactly d.
   * Jitter spreads retries of many instances so they do not hit a dependency together.
   * @default 'equal'
   */
  jitter: 'full' | 'equal' | 'none';
}
