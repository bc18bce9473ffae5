import { readFileSync } from 'node:fs';

interface LockEntry {
  version?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

/** The parts of a package.json the lockfile repeats. */
export interface LockedManifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

/** A tarball an app depends on with `file:`, as `npm pack --json` describes it. */
export interface LockedTarball {
  /** Relative to the root: `file:tarballs/x-1.0.0.tgz`. */
  resolved: string;
  integrity: string;
  manifest: LockedManifest;
}

// Install-time flags npm works out again; the workspace's say "dev" for what the apps need at run time.
const RECOMPUTED = new Set(['dev', 'optional', 'peer', 'devOptional']);
const NOT_IN_LOCK = new Set([
  'name',
  'description',
  'main',
  'types',
  'exports',
  'files',
  'scripts',
  'devDependencies',
  'sideEffects',
  'type',
]);

/**
 * A package-lock.json for a fresh npm workspace root (`rootManifest`) whose apps depend on tarballs
 * and on packages the workspace's own lock has: every package the apps need, at the path and version
 * the workspace lock gives it. `npm install` then takes every package from the cache a `npm ci`
 * of the workspace filled (that cache holds tarballs, not the registry metadata a resolution from
 * scratch reads), and the apps run the versions every other test runs. Throws, naming the package,
 * when the workspace lock lacks one.
 */
export function seededLockfile(
  workspaceLockPath: string,
  rootManifest: { name: string; workspaces: string[] },
  apps: Record<string, LockedManifest>,
  tarballs: Record<string, LockedTarball>,
): object {
  const lock = (
    JSON.parse(readFileSync(workspaceLockPath, 'utf8')) as {
      packages: Record<string, LockEntry>;
    }
  ).packages;
  const packages: Record<string, unknown> = {
    '': { name: rootManifest.name, workspaces: rootManifest.workspaces },
  };

  // Node's lookup over lock paths: node_modules/a/node_modules/b, then node_modules/b.
  const locate = (from: string, name: string): string | undefined => {
    let base = from;
    for (;;) {
      const path = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (lock[path] && !lock[path].link) return path;
      if (!base) return undefined;
      const at = base.lastIndexOf('/node_modules/');
      base = at < 0 ? '' : base.slice(0, at);
    }
  };
  const needs = (entry: LockEntry): Array<[string, boolean]> => [
    ...Object.keys(entry.dependencies ?? {}).map(
      n => [n, false] as [string, boolean],
    ),
    ...Object.keys(entry.optionalDependencies ?? {}).map(
      n => [n, true] as [string, boolean],
    ),
    ...Object.keys(entry.peerDependencies ?? {})
      .filter(n => !entry.peerDependenciesMeta?.[n]?.optional)
      .map(n => [n, false] as [string, boolean]),
  ];
  const add = (from: string, name: string, optional: boolean, by: string) => {
    const path = locate(from, name);
    if (path) visit(path);
    else if (!optional)
      throw new Error(
        `${name} (needed by ${by}) is not in ${workspaceLockPath}: add it to the workspace (npm install ${name}) so its version is locked and cached.`,
      );
  };
  const visit = (path: string) => {
    if (packages[path]) return;
    const entry = Object.fromEntries(
      Object.entries(lock[path]).filter(([key]) => !RECOMPUTED.has(key)),
    ) as LockEntry;
    packages[path] = entry;
    for (const [name, optional] of needs(entry))
      add(path, name, optional, path);
  };

  for (const [folder, manifest] of Object.entries(apps)) {
    packages[folder] = {
      name: manifest.name,
      version: manifest.version,
      dependencies: manifest.dependencies,
      devDependencies: manifest.devDependencies,
    };
    packages[`node_modules/${manifest.name}`] = {
      resolved: folder,
      link: true,
    };
    for (const name of Object.keys({
      ...manifest.dependencies,
      ...manifest.devDependencies,
    })) {
      const tarball = tarballs[name];
      if (!tarball) {
        add('', name, false, folder);
        continue;
      }
      const { manifest: packed } = tarball;
      packages[`node_modules/${name}`] ??= {
        ...Object.fromEntries(
          Object.entries(packed).filter(([key]) => !NOT_IN_LOCK.has(key)),
        ),
        version: packed.version,
        resolved: tarball.resolved,
        integrity: tarball.integrity,
      };
      for (const [dependency, optional] of needs(packed as LockEntry))
        if (!tarballs[dependency]) add('', dependency, optional, name);
    }
  }
  return {
    name: rootManifest.name,
    lockfileVersion: 3,
    requires: true,
    packages,
  };
}
