/**
 * The value of `promise`, or `fallback` (undefined by default) when it takes longer than `ms`. The
 * timer is cleared either way. The one timeout helper of the library: drains, health checks, pings.
 */
export async function within<T, F = undefined>(
  promise: Promise<T>,
  ms: number,
  fallback?: F,
): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>(
    resolve => (timer = setTimeout(() => resolve(fallback as F), ms)),
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
