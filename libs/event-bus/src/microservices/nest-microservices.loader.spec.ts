import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runtime (non-type) imports of a file and of the relative files it imports, as package names. */
function runtimePackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, clause, specifier] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s+([^;]*?)\s*from\s+'([^']+)'/gms)) {
      if (/^type\s/.test(clause)) continue;
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
    }
  };
  visit(entry);
  return packages;
}

describe('@nestjs/microservices as an optional peer', () => {
  it('is never imported statically from the entry point: only the loader imports it, dynamically', () => {
    expect(runtimePackages(join(SRC, 'index.ts')).has('@nestjs/microservices')).toBe(false);
    expect(readFileSync(join(SRC, 'microservices', 'nest-microservices.loader.ts'), 'utf8')).toContain("import('@nestjs/microservices')");
  });
});
