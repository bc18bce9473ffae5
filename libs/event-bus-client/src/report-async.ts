/**
 * Rethrows an app handler's error outside the client's own call stack: it
 * shows up as an uncaught error (browser console, Node `uncaughtException`)
 * without stopping delivery to the other handlers.
 */
export function reportAsync(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void })
    .reportError;
  if (typeof report === 'function') {
    report(error);
    return;
  }
  setTimeout(() => {
    throw error;
  }, 0);
}
