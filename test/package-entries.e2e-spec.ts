import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

/** Every subpath a package exports (its built files), as `name/subpath` specifiers. */
function entriesOf(folder: string): string[] {
  const manifest = JSON.parse(
    readFileSync(join(ROOT, 'libs', folder, 'package.json'), 'utf8'),
  ) as { name: string; exports: Record<string, unknown> };
  return Object.keys(manifest.exports)
    .filter(subpath => subpath !== './package.json')
    .map(subpath =>
      subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
    );
}

const ENTRIES = [...entriesOf('event-bus'), ...entriesOf('event-bus-client')];

/**
 * Issue 16: a CommonJS Nest 12 app loads the package through require(esm) (Node 20.19+), which
 * refuses a module graph with a top-level await (ERR_REQUIRE_ASYNC_MODULE). Each entry is required
 * from a `.cjs` file and imported from a `.mjs` file, in a child process, from the workspace (where
 * npm links the packages). The tarball install into fresh apps is the install test's job.
 */
describe('package entries load from CommonJS and from ESM', () => {
  it('lists the entries it checks', () => {
    expect(ENTRIES).toEqual(
      expect.arrayContaining([
        '@shared-infra/event-bus',
        '@shared-infra/event-bus/gateway',
        '@shared-infra/event-bus/microservices',
        '@shared-infra/event-bus/admin',
        '@shared-infra/event-bus-client',
      ]),
    );
  });

  it.each(ENTRIES)(
    'require("%s") from a .cjs file, and import() from a .mjs file',
    async entry => {
      const folder = mkdtempSync(join(ROOT, '.test-output-entry-'));
      try {
        writeFileSync(
          join(folder, 'load.cjs'),
          `const m = require(${JSON.stringify(entry)});\nconsole.log(JSON.stringify(Object.keys(m).length));\n`,
        );
        writeFileSync(
          join(folder, 'load.mjs'),
          `const m = await import(${JSON.stringify(entry)});\nconsole.log(JSON.stringify(Object.keys(m).length));\n`,
        );
        for (const file of ['load.cjs', 'load.mjs']) {
          const { stdout } = await run(process.execPath, [join(folder, file)], {
            cwd: ROOT,
            env: { ...process.env, NODE_OPTIONS: '' },
          });
          expect({ file, exports: Number(stdout.trim()) }).toEqual({
            file,
            exports: expect.any(Number),
          });
          expect(Number(stdout.trim())).toBeGreaterThan(0);
        }
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  );

  it('every source map in the packages carries its sources (npm ships dist/ only)', () => {
    for (const folder of ['event-bus', 'event-bus-client']) {
      const maps = readdirSync(join(ROOT, 'libs', folder, 'dist'), {
        recursive: true,
        encoding: 'utf8',
      }).filter(file => file.endsWith('.map'));
      expect(maps.length).toBeGreaterThan(0);
      for (const file of maps) {
        const map = JSON.parse(
          readFileSync(join(ROOT, 'libs', folder, 'dist', file), 'utf8'),
        ) as { sources: string[]; sourcesContent?: Array<string | null> };
        expect({
          file,
          missing: map.sources.filter(
            (_, i) => typeof map.sourcesContent?.[i] !== 'string',
          ),
        }).toEqual({ file, missing: [] });
      }
    }
  });

  it('the main entry does not import @nestjs/microservices (an optional peer, for the ./microservices entry)', () => {
    const packages = runtimeImports(
      join(ROOT, 'libs', 'event-bus', 'dist', 'index.js'),
    );
    expect(packages.has('@nestjs/common')).toBe(true); // the walk does find packages
    expect(packages.has('@nestjs/microservices')).toBe(false);
    expect(
      runtimeImports(
        join(ROOT, 'libs', 'event-bus', 'dist', 'microservices', 'index.js'),
      ).has('@nestjs/microservices'),
    ).toBe(true);
  });

  it("the client's typings import neither Nest nor socket.io (nor the server package), and its protocol imports nothing", () => {
    const dist = join(ROOT, 'libs', 'event-bus-client', 'dist');
    const typings = readdirSync(dist).filter(file => file.endsWith('.d.ts'));
    expect(typings).toEqual(
      expect.arrayContaining(['index.d.ts', 'protocol.d.ts']),
    );
    for (const file of typings) {
      const imported = [...importedPackages(join(dist, file))];
      expect({ file, imported }).toEqual({
        file,
        imported: imported.filter(
          name =>
            !name.startsWith('@nestjs/') &&
            name !== 'socket.io' &&
            !name.startsWith('@shared-infra/event-bus'),
        ),
      });
    }
    for (const file of ['protocol.d.ts', 'protocol.js'])
      expect({ file, imports: specifiersOf(join(dist, file)) }).toEqual({
        file,
        imports: [],
      });
    expect(
      runtimeImports(
        join(ROOT, 'libs', 'event-bus', 'dist', 'gateway', 'index.js'),
      ).has('@shared-infra/event-bus-client'),
    ).toBe(true); // the server takes the protocol from the client package, not from a path outside its own
  });

  it('the main entry does not import ioredis (an optional peer, loaded when the redis transport is configured)', () => {
    const packages = runtimeImports(
      join(ROOT, 'libs', 'event-bus', 'dist', 'index.js'),
    );
    expect(packages.has('rxjs')).toBe(true); // the walk does find packages
    expect(packages.has('ioredis')).toBe(false);
  });
});

/** Packages a built file and the relative files it imports load at run time (static imports and re-exports). */
function runtimeImports(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(
      /^(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gms,
    )) {
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
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

/** Every specifier a file imports or re-exports (`import type` included). */
function specifiersOf(file: string): string[] {
  return [
    ...readFileSync(file, 'utf8').matchAll(
      /^(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]|import\(['"]([^'"]+)['"]\)/gm,
    ),
  ].map(match => match[1] ?? match[2] ?? match[3]);
}

/** Packages a file imports directly (relative files left out). */
function importedPackages(file: string): Set<string> {
  return new Set(
    specifiersOf(file)
      .filter(specifier => !specifier.startsWith('.'))
      .map(specifier =>
        specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : specifier.split('/')[0],
      ),
  );
}

describe('the published surface', () => {
  it('the public classes publish none of their internal members, and no entry exports the internal publisher or router', async () => {
    const dist = join(ROOT, 'libs', 'event-bus', 'dist');
    const typings = {
      'event-bus.service.d.ts': [
        'whenStarted',
        'registerHandler',
        'listDeadLetters',
        'replayRoom',
        'publishFromClient',
      ],
      'gateway/event-bus.gateway.d.ts': [
        'presenceTracker',
        'publishFromClient',
      ],
    };
    for (const [file, internal] of Object.entries(typings)) {
      const text = readFileSync(join(dist, file), 'utf8');
      expect({
        file,
        found: internal.filter(name => text.includes(name)),
      }).toEqual({ file, found: [] });
    }
    const internalClasses = [
      'EventPublisher',
      'EventRouter',
      'DurableManager',
      'RouteTable',
      'RedisTransport',
    ];
    for (const entry of [
      'index.js',
      'gateway/index.js',
      'microservices/index.js',
    ]) {
      const exported = Object.keys(
        (await import(join(dist, entry))) as Record<string, unknown>,
      );
      expect({
        entry,
        found: exported.filter(name => internalClasses.includes(name)),
      }).toEqual({ entry, found: [] });
    }
  });
});
