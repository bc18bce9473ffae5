import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * The import rules of docs/ARCHITECTURE.md, checked over the sources: a rule
 * that only lives in prose is soon broken. Type-only imports are free (they
 * vanish at run time); these rules are about what loads what.
 */
const LIB = join(process.cwd(), 'libs', 'event-bus', 'src');
const CLIENT = join(process.cwd(), 'libs', 'event-bus-client', 'src');

interface Edge {
  from: string;
  to: string;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')
      ? [path]
      : [];
  });
}

const IMPORT =
  /^(?:import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?'([^']+)'/gms;

/** Runtime imports of every source file: relative ones as paths under `root`, packages by name. */
function edges(root: string): Edge[] {
  const out: Edge[] = [];
  for (const file of sources(root)) {
    const text = readFileSync(file, 'utf8');
    for (const [, typeOnly, specifier] of text.matchAll(IMPORT)) {
      if (typeOnly) continue;
      const to = specifier.startsWith('.')
        ? relative(root, normalize(join(dirname(file), specifier)))
        : specifier;
      out.push({ from: relative(root, file), to });
    }
  }
  return out;
}

const folderOf = (path: string): string =>
  path.includes('/') ? path.split('/')[0] : '.';

describe('import rules (docs/ARCHITECTURE.md)', () => {
  const lib = edges(LIB);
  const crossing = (from: string[], to: string[]) =>
    lib.filter(
      ({ from: f, to: t }) =>
        from.includes(folderOf(f)) &&
        !t.startsWith('@') &&
        to.includes(folderOf(t)) &&
        folderOf(t) !== folderOf(f),
    );

  it('finds the imports it checks', () => {
    expect(lib.length).toBeGreaterThan(300);
    expect(lib).toContainEqual({
      from: 'routing/event-router.ts',
      to: 'delivery/handler-invoker.js',
    });
  });

  it('the foundation (errors, envelope, matching, interfaces, rooms) imports nothing above it', () => {
    expect(
      crossing(
        ['errors', 'envelope', 'matching', 'interfaces', 'rooms'],
        [
          'transports',
          'durable',
          'delivery',
          'routing',
          'publishing',
          'gateway',
          'microservices',
          'discovery',
          'health',
          'metrics',
          'validation',
        ],
      ),
    ).toEqual([]);
  });

  it('transports know no handler, publisher, gateway or Nest wiring', () => {
    const allowed = new Set([
      'delivery/retry-policy.js', // the one backoff
      'durable/memory-stream.store.js', // the store the memory transport creates
      'durable/entry-ids.js', // the one order of stream entry ids, shared by both stores
      'scheduling/memory-schedule.store.js', // likewise, for delayed events and schedules
    ]);
    expect(
      crossing(
        ['transports'],
        [
          'routing',
          'publishing',
          'gateway',
          'microservices',
          'discovery',
          'health',
          'metrics',
          'delivery',
          'durable',
          'scheduling',
        ],
      ).filter(edge => !allowed.has(edge.to)),
    ).toEqual([]);
  });

  it('nothing but the bus module and the gateway loads a concrete transport (the rest use EventTransport)', () => {
    const users = lib.filter(
      ({ from, to }) =>
        folderOf(to) === 'transports' && folderOf(from) !== 'transports',
    );
    expect(
      users.filter(
        ({ from }) =>
          from !== 'event-bus.module.ts' &&
          from !== 'cli/dlq.ts' &&
          folderOf(from) !== 'gateway' &&
          folderOf(from) !== 'admin',
      ),
    ).toEqual([]);
  });

  it('the main entry graph holds neither the gateway nor the microservices interop (subpath entries)', () => {
    expect(
      lib.filter(
        ({ from, to }) =>
          (folderOf(to) === 'gateway' && folderOf(from) !== 'gateway') ||
          (folderOf(to) === 'microservices' &&
            folderOf(from) !== 'microservices') ||
          (folderOf(to) === 'admin' && folderOf(from) !== 'admin'),
      ),
    ).toEqual([]);
  });

  it('the client SDK imports neither Nest, nor the socket.io server, nor the server package; its protocol imports nothing', () => {
    const client = edges(CLIENT);
    expect(
      client.filter(
        ({ to }) =>
          to.startsWith('@nestjs/') ||
          to === 'socket.io' ||
          to.startsWith('@shared-infra/event-bus'),
      ),
    ).toEqual([]);
    const text = readFileSync(join(CLIENT, 'protocol.ts'), 'utf8');
    expect([...text.matchAll(IMPORT)]).toEqual([]);
  });
});
