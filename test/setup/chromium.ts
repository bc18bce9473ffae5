import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/lib/chromium/chromium',
];

/**
 * Flags for a headless Chromium that talks to nothing but the pages it is
 * sent to (no update checks, no sync, no safe-browsing downloads).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-dev-shm-usage',
];

/** Path of Debian's Chromium (or CHROMIUM_BIN), or undefined. */
export function findChromium(): string | undefined {
  return process.env.CHROMIUM_BIN ?? CANDIDATES.find(path => existsSync(path));
}

/**
 * Finds Chromium or installs Debian's `chromium` package when running as root
 * (as the redis-server setup does). Browsers are never downloaded from
 * anywhere else: playwright-core drives this one. Throws with the fix when
 * neither works.
 */
export function ensureChromiumInstalled(
  log: (line: string) => void = line => process.stderr.write(line + '\n'),
): string {
  const found = findChromium();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(
      'Chromium is not installed and this is not root: install it (sudo apt-get install -y chromium) or set CHROMIUM_BIN.',
    );
  }
  log(
    '[test setup] chromium not found: installing Debian package chromium (apt-get update, then install)...',
  );
  execFileSync('apt-get', ['update', '-qq'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const installed = findChromium();
  if (!installed)
    throw new Error(
      'apt-get installed chromium but it is not at /usr/bin/chromium; set CHROMIUM_BIN.',
    );
  log(`[test setup] installed ${installed}`);
  return installed;
}
