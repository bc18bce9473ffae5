import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { connectClient, JWT_SECRET, tokenFor } from './utils/gateway-client.js';
import {
  seededLockfile,
  type LockedManifest,
} from './utils/seeded-lockfile.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'install');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const LIBRARIES = ['event-bus', 'event-bus-client'];
// What the README's quick start and gateway sections tell an app to install, plus
// @nestjs/microservices for the ./microservices entry the loaders require.
const APP_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/websockets',
  '@nestjs/platform-socket.io',
  '@nestjs/jwt',
  '@nestjs/microservices',
  '@socket.io/redis-adapter',
  'socket.io',
  'ioredis',
  'reflect-metadata',
  'rxjs',
  'class-validator',
  'class-transformer',
];
const KEEP = process.env.INSTALL_TEST_KEEP === '1';
const run = promisify(execFile);

interface App {
  name: 'cjs-app' | 'esm-app';
  /** package.json "type"; none is CommonJS. */
  type?: 'module';
  tsconfig: string;
  loader: string;
}

const APPS: App[] = [
  {
    name: 'cjs-app',
    tsconfig: 'tsconfig.cjs.json',
    loader: 'load-entries.cjs',
  },
  {
    name: 'esm-app',
    type: 'module',
    tsconfig: 'tsconfig.esm.json',
    loader: 'load-entries.mjs',
  },
];

interface PackedFile {
  path: string;
}
interface Packed {
  name: string;
  filename: string;
  integrity: string;
  files: PackedFile[];
}

function log(line: string): void {
  console.log(`[install] ${line}`);
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function manifestOf(folder: string): LockedManifest & {
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports: Record<string, unknown>;
} {
  return JSON.parse(
    readFileSync(join(ROOT, 'libs', folder, 'package.json'), 'utf8'),
  );
}

/** `name` and `name/subpath` for every subpath a package exports (package.json aside). */
function entriesOf(folder: string): string[] {
  const { name, exports } = manifestOf(folder);
  return Object.keys(exports)
    .filter(subpath => subpath !== './package.json')
    .map(subpath => (subpath === '.' ? name : `${name}/${subpath.slice(2)}`));
}

/** Every file the manifest points at (main, types, bin, exports targets), without "./". */
function referencedFiles(folder: string): string[] {
  const manifest = manifestOf(folder);
  const targets: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object')
      Object.values(value).forEach(walk);
  };
  walk([manifest.main, manifest.types, manifest.bin, manifest.exports]);
  return [...new Set(targets.map(target => target.replace(/^\.\//, '')))];
}

/** The version the workspace's lock has, so that npm finds it in the cache `npm ci` filled. */
function lockedVersion(name: string): string {
  const lock = JSON.parse(
    readFileSync(join(ROOT, 'package-lock.json'), 'utf8'),
  ) as { packages: Record<string, { version?: string }> };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version)
    throw new Error(
      `${name} is not in package-lock.json: add it to the root package.json (npm install -D ${name}) or drop it from APP_DEPENDENCIES.`,
    );
  return version;
}

/** The environment of npm and of the apps: none of the workspace's npm or Jest settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  for (const key of Object.keys(env))
    if (
      /^npm_(package|lifecycle)_/.test(key) ||
      /^npm_config_(workspace|workspaces|include_workspace_root)$/.test(key) ||
      key === 'REDIS_URL' ||
      key === 'JEST_WORKER_ID'
    )
      delete env[key];
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs a command to its end; rejects with what it printed and what to do next. */
async function runStep(
  what: string,
  file: string,
  args: string[],
  cwd: string,
  hint: string,
  timeout = 120_000,
): Promise<string> {
  try {
    const { stdout } = await run(file, args, {
      cwd,
      env: cleanEnv(),
      timeout,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr, code } = error as {
      stdout?: string;
      stderr?: string;
      code?: number | string;
    };
    throw new Error(
      `${what} failed (${code ?? 'killed'}) in ${cwd}:\n${stdout ?? ''}${stderr ?? ''}\n${hint}`,
    );
  }
}

/** A compiled app (or the SDK client) in a child `node` process, read line by line. */
class NodeProcess {
  static readonly running = new Set<NodeProcess>();
  private output = '';
  private readonly exit: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', chunk => (this.output += String(chunk)));
    child.stderr?.on('data', chunk => (this.output += String(chunk)));
    this.exit = new Promise(resolve =>
      child.once('exit', (code, signal) => {
        NodeProcess.running.delete(this);
        resolve({ code, signal });
      }),
    );
    NodeProcess.running.add(this);
  }

  static start(
    label: string,
    cwd: string,
    script: string,
    env: Record<string, string>,
  ): NodeProcess {
    return new NodeProcess(
      label,
      spawn(process.execPath, [script], {
        cwd,
        env: cleanEnv(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }

  get text(): string {
    return this.output;
  }

  /** Resolves the first match of `pattern` in the output; rejects, with the output, on exit or timeout. */
  async waitFor(
    pattern: RegExp,
    timeoutMs = 20_000,
  ): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exit.then(() => (exited = true));
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (exited || Date.now() > deadline)
        throw new Error(
          `${this.label} ${exited ? 'exited' : `printed nothing like ${pattern} in ${timeoutMs} ms`} before ${pattern}; its output:\n${this.output}`,
        );
      await new Promise(resolve => setTimeout(resolve, 25));
    }
  }

  /** Waits for the process to end by itself. */
  finished(
    timeoutMs = 20_000,
  ): Promise<{ code: number | null; output: string }> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    return this.exit.then(({ code }) => {
      clearTimeout(timer);
      return { code, output: this.output };
    });
  }

  /** SIGTERM (the app drains and closes, enableShutdownHooks), SIGKILL after 10 s. */
  async stop(): Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }> {
    if (this.child.exitCode === null && this.child.signalCode === null)
      this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const result = await this.exit;
    clearTimeout(timer);
    return result;
  }
}

/**
 * What users get: the packages as `npm pack` ships them, installed into two fresh Nest 12 apps
 * outside the workspace (a CommonJS one and an ES module one, written from the README), compiled
 * with their own tsconfig, and run on the memory transport and on Redis with a socket.io client
 * and the client SDK. Both apps are npm workspaces of one temporary root, so one `npm install`
 * serves both; its lockfile is seeded from the workspace's, so the apps get the versions every
 * other test runs (a user's fresh install may resolve newer ones in range). INSTALL_TEST_KEEP=1
 * keeps the folder for a look.
 */
describe('install: the packed packages in fresh CommonJS and ESM Nest apps', () => {
  let dir: string;
  let redis: RedisServer | undefined;
  const packed: Packed[] = [];
  const compiled = new Map<string, Promise<void>>();
  const started = Date.now();

  beforeAll(async () => {
    for (const folder of LIBRARIES)
      if (!existsSync(join(ROOT, 'libs', folder, 'dist', 'index.js')))
        throw new Error(
          `libs/${folder}/dist is missing: run "npm run build" first (npm test does it for you).`,
        );
    dir = mkdtempSync(join(tmpdir(), 'eventbus-install-'));
    const tarballs = join(dir, 'tarballs');
    mkdirSync(tarballs);

    let since = Date.now();
    const workspaces = LIBRARIES.flatMap(folder => [
      '--workspace',
      `libs/${folder}`,
    ]);
    packed.push(
      ...(JSON.parse(
        await runStep(
          'npm pack',
          'npm',
          ['pack', ...workspaces, '--pack-destination', tarballs, '--json'],
          ROOT,
          'Check the "files" of libs/*/package.json.',
        ),
      ) as Packed[]),
    );
    log(
      `packed ${packed.map(p => p.filename).join(', ')} in ${seconds(since)}`,
    );

    const dependencies: Record<string, string> = {};
    for (const p of packed)
      dependencies[p.name] = `file:../tarballs/${p.filename}`;
    for (const name of APP_DEPENDENCIES)
      dependencies[name] = lockedVersion(name);
    const apps: Record<string, LockedManifest> = {};
    for (const app of APPS) {
      const appDir = join(dir, app.name);
      cpSync(join(FIXTURES, 'src'), join(appDir, 'src'), { recursive: true });
      cpSync(join(FIXTURES, app.tsconfig), join(appDir, 'tsconfig.json'));
      cpSync(join(FIXTURES, app.loader), join(appDir, app.loader));
      apps[app.name] = {
        name: app.name,
        version: '1.0.0',
        private: true,
        ...(app.type ? { type: app.type } : {}),
        scripts: { build: 'tsc -p tsconfig.json', start: 'node dist/main.js' },
        dependencies,
        devDependencies: { '@types/node': lockedVersion('@types/node') },
      };
      writeFileSync(
        join(appDir, 'package.json'),
        JSON.stringify(apps[app.name], null, 2),
      );
    }
    const root = {
      name: 'install-test',
      private: true,
      workspaces: APPS.map(app => app.name),
    };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(root, null, 2));
    // Seeded from the workspace lock (see seededLockfile): the npm ci cache is enough, offline too.
    const lockfile = seededLockfile(
      join(ROOT, 'package-lock.json'),
      root,
      apps,
      Object.fromEntries(
        packed.map(p => [
          p.name,
          {
            resolved: `file:tarballs/${p.filename}`,
            integrity: p.integrity,
            manifest: manifestOf(
              LIBRARIES.find(folder => manifestOf(folder).name === p.name)!,
            ),
          },
        ]),
      ),
    );
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify(lockfile, null, 2),
    );

    since = Date.now();
    log(
      `npm install of both apps in ${dir} (the workspace's locked versions, from the npm cache)...`,
    );
    await runStep(
      'npm install',
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
      ],
      dir,
      'npm takes the packages from its cache (filled by "npm ci" in the workspace), else from the registry: run "npm ci" in the workspace, or check that the registry is reachable.',
      180_000,
    );
    log(`installed in ${seconds(since)}`);

    // Both compile while Redis starts; each test awaits its app's compile.
    for (const app of APPS) {
      const begin = Date.now();
      const compile = runStep(
        `tsc -p ${app.name}/tsconfig.json`,
        process.execPath,
        [TSC, '-p', 'tsconfig.json'],
        join(dir, app.name),
        `The ${app.name} (written from the README) does not compile against the packed declarations: fix the package's types or the README.`,
      ).then(() => log(`compiled ${app.name} in ${seconds(begin)}`));
      compile.catch(() => undefined);
      compiled.set(app.name, compile);
    }
    redis = await RedisServer.start();
    await Promise.allSettled(compiled.values());
  }, 240_000);

  afterAll(async () => {
    await Promise.all([...NodeProcess.running].map(p => p.stop()));
    await redis?.stop();
    if (dir && !KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) log(`kept ${dir} (INSTALL_TEST_KEEP=1)`);
    log(`done in ${seconds(started)}`);
  }, 30_000);

  it('the tarballs hold the built js, declarations and maps the manifests point at, and nothing else', () => {
    expect(packed.map(p => p.name).sort()).toEqual(
      LIBRARIES.map(folder => manifestOf(folder).name).sort(),
    );
    for (const folder of LIBRARIES) {
      const manifest = manifestOf(folder);
      const files = new Set(
        packed.find(p => p.name === manifest.name)!.files.map(f => f.path),
      );
      const js = [...files].filter(file => file.endsWith('.js'));
      // The browser bundle has no declarations of its own and no source file of its name.
      const compiled = js.filter(file => !file.startsWith('dist/browser/'));
      expect({
        folder,
        missing: referencedFiles(folder).filter(file => !files.has(file)),
        withoutMap: js.filter(file => !files.has(`${file}.map`)),
        withoutDeclarations: compiled.filter(
          file => !files.has(file.replace(/\.js$/, '.d.ts')),
        ),
        notBuildOutput: [...files].filter(
          file =>
            file !== 'package.json' &&
            file !== 'README.md' &&
            file !== 'LICENSE' &&
            !file.startsWith('dist/'),
        ),
        specs: [...files].filter(file => /\.(e2e-)?spec\./.test(file)),
        // Left in dist/ by a source file since deleted: delete libs/<folder>/dist and rebuild.
        stale: compiled.filter(
          file =>
            !existsSync(
              join(
                ROOT,
                'libs',
                folder,
                file.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'),
              ),
            ),
        ),
        workspaceFields: ['private', 'workspaces', 'devDependencies'].filter(
          field => field in manifest,
        ),
      }).toEqual({
        folder,
        missing: [],
        withoutMap: [],
        withoutDeclarations: [],
        notBuildOutput: [],
        specs: [],
        stale: [],
        workspaceFields: [],
      });
    }
  });

  describe.each(APPS)('$name', app => {
    const appDir = () => join(dir, app.name);

    it('compiles with its own tsconfig', async () => {
      await compiled.get(app.name);
      expect(existsSync(join(appDir(), 'dist', 'main.js'))).toBe(true);
    });

    it(`loads every entry of both packages (${app.loader})`, async () => {
      const stdout = await runStep(
        `node ${app.loader}`,
        process.execPath,
        [app.loader],
        appDir(),
        `An entry of the installed packages does not load from ${app.type ? 'an ES module' : 'CommonJS'}: see the error above.`,
      );
      const loaded = JSON.parse(stdout) as Record<string, number>;
      const entries = LIBRARIES.flatMap(entriesOf);
      expect(Object.keys(loaded).sort()).toEqual(entries.sort());
      for (const entry of entries)
        expect({ entry, exports: loaded[entry] > 0 }).toEqual({
          entry,
          exports: true,
        });
    });

    it.each(['memory', 'redis'] as const)(
      'runs on %s: the @OnEvent handler, the gateway handshake, an event to the user room',
      async transport => {
        await compiled.get(app.name);
        const since = Date.now();
        const port = await freePort();
        const server = NodeProcess.start(
          `${app.name} (${transport})`,
          appDir(),
          join('dist', 'main.js'),
          {
            PORT: String(port),
            JWT_SECRET,
            ...(transport === 'redis' ? { REDIS_URL: redis!.url } : {}),
          },
        );
        let exit: { signal: NodeJS.Signals | null };
        try {
          const [, url, eventId] = await server.waitFor(
            /\[app\] listening on (\S+), published demo\.ping (\w+)/,
          );
          await server.waitFor(
            new RegExp(`\\[app\\] handled demo\\.ping ${eventId}`),
          );

          // A plain socket.io client with a token the app never saw being signed.
          const socket = await connectClient(url, { token: tokenFor('alice') });
          try {
            expect(socket.established).toEqual(
              expect.objectContaining({
                userId: 'alice',
                rooms: expect.arrayContaining(['user:alice', 'global']),
              }),
            );
            await socket.events.waitFor(1);
            expect(socket.events.items).toContainEqual(
              expect.objectContaining({
                type: 'demo.welcome',
                room: 'user:alice',
                data: {
                  userId: 'alice',
                  clientId: socket.established.clientId,
                },
              }),
            );
          } finally {
            socket.close();
          }

          // The client SDK from its tarball, compiled in the app.
          const client = NodeProcess.start(
            `${app.name} SDK client`,
            appDir(),
            join('dist', 'client.js'),
            { APP_URL: url, TOKEN: tokenFor('bob') },
          );
          const { code, output } = await client.finished();
          expect({ code, output }).toEqual({
            code: 0,
            output: expect.stringContaining(
              '[client] demo.welcome bob in user:bob',
            ),
          });
          expect(output).toContain('[client] established bob');
        } finally {
          exit = await server.stop();
          log(`${app.name} on ${transport}: ran in ${seconds(since)}`);
        }
        // A graceful stop: Nest re-raises SIGTERM once the app has closed.
        expect({ signal: exit.signal, output: server.text }).toEqual({
          signal: 'SIGTERM',
          output: expect.any(String),
        });
      },
    );
  });

  it('the dlq command runs from node_modules/.bin', async () => {
    const stdout = await runStep(
      'event-bus-dlq --help',
      join(dir, 'node_modules', '.bin', 'event-bus-dlq'),
      ['--help'],
      join(dir, 'cjs-app'),
      'The "bin" of libs/event-bus/package.json must point at an executable file with a shebang.',
    );
    expect(stdout).toMatch(/^Usage: /);
  });
});
