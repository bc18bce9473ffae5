import { ensureRedisInstalled } from './redis-server.js';

/** Runs once before the e2e tier: makes sure redis-server exists (installing it as root when needed). */
export default function globalSetup(): void {
  const path = ensureRedisInstalled();
  process.stderr.write(`[test setup] using ${path}\n`);
}
