import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = dirname(fileURLToPath(import.meta.url));
// ioredis too: the redis transport imports it when it is configured, the gateway builds on that transport.
const OPTIONAL = [
  '@nestjs/terminus',
  'prom-client',
  'ioredis',
  '@opentelemetry/api',
  'cron-parser',
];

/** Every package the entry point loads at run time, following relative imports (type-only ones are erased). */
function runtimePackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, clause, specifier] of source.matchAll(
      /^(?:import|export)\s+([^;]*?)\s*from\s+'([^']+)'/gms,
    )) {
      if (/^type\s/.test(clause)) continue;
      if (specifier.startsWith('.'))
        visit(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else
        packages.add(
          specifier.startsWith('@')
            ? specifier.split('/').slice(0, 2).join('/')
            : specifier.split('/')[0],
        );
    }
  };
  visit(entry);
  return packages;
}

describe('optional peer dependencies', () => {
  it('are never imported statically from the entry point, so apps without them still load the library', () => {
    const packages = runtimePackages(join(SRC, 'index.ts'));
    expect(packages.has('@nestjs/common')).toBe(true);
    for (const name of OPTIONAL) expect(packages.has(name)).toBe(false);
  });

  it('are not imported statically from the gateway entry point either (its health indicator loads Terminus on use)', () => {
    const packages = runtimePackages(join(SRC, 'gateway', 'index.ts'));
    expect(packages.has('@nestjs/websockets')).toBe(true);
    for (const name of OPTIONAL) expect(packages.has(name)).toBe(false);
  });

  it('are not imported statically from the admin entry point either, nor the gateway (looked up on demand)', () => {
    const packages = runtimePackages(join(SRC, 'admin', 'index.ts'));
    expect(packages.has('@nestjs/common')).toBe(true);
    for (const name of [...OPTIONAL, '@nestjs/websockets', 'socket.io'])
      expect(packages.has(name)).toBe(false);
  });
});
