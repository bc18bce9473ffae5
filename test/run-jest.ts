import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm test` after the build: Jest twice, so that one command still runs every
 * suite. First the unit and isolated e2e projects in parallel workers (each e2e
 * suite starts its own redis-server and listens on free ports), then the
 * `e2e-serial` project alone (jest.config.js says which suites and why).
 * Extra arguments go to both runs; `--json --outputFile=F` (what .ci/run passes)
 * writes one report per run and merges them into F, so the CI summary counts
 * every test.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const JEST = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

interface JestReport {
  success: boolean;
  startTime: number;
  testResults: unknown[];
  [field: string]: unknown;
}

const RUNS = [
  {
    name: 'parallel',
    args: ['--selectProjects', 'unit', 'e2e', '--maxWorkers=2'],
  },
  { name: 'serial', args: ['--selectProjects', 'e2e-serial', '--runInBand'] },
];

const { outputFile, rest } = takeOutputFile(process.argv.slice(2));
let status = 0;
const reports: JestReport[] = [];
for (const run of RUNS) {
  const output = outputFile && `${outputFile}.${run.name}.json`;
  const result = spawnSync(
    process.execPath,
    [
      '--experimental-vm-modules',
      JEST,
      ...run.args,
      // A path filter on the command line may leave one of the runs without a suite.
      '--passWithNoTests',
      ...rest,
      ...(output ? [`--outputFile=${output}`] : []),
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  status = Math.max(status, result.status ?? 1);
  if (output && existsSync(output)) {
    reports.push(JSON.parse(readFileSync(output, 'utf8')) as JestReport);
    rmSync(output);
  } else if (output) {
    // Jest died before writing its report: count it as a failed suite, not as nothing.
    reports.push({
      success: false,
      startTime: Date.now(),
      testResults: [],
      numRuntimeErrorTestSuites: 1,
    });
  }
}
if (outputFile) writeFileSync(outputFile, JSON.stringify(merge(reports)));
process.exit(status);

/** Removes `--outputFile=F` / `--outputFile F` from the arguments: each run gets its own file. */
function takeOutputFile(args: string[]): {
  outputFile?: string;
  rest: string[];
} {
  const rest: string[] = [];
  let outputFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('--outputFile=')) outputFile = arg.slice(13);
    else if (arg === '--outputFile') outputFile = args[++i];
    else rest.push(arg);
  }
  return { outputFile, rest };
}

/** One report as a single Jest run would write it: counts summed, suites concatenated. */
function merge(parts: JestReport[]): JestReport {
  const merged: JestReport = {
    success: parts.every(p => p.success),
    startTime: Math.min(...parts.map(p => p.startTime)),
    testResults: parts.flatMap(p => p.testResults),
  };
  for (const part of parts) {
    for (const [field, value] of Object.entries(part)) {
      if (field.startsWith('num') && typeof value === 'number')
        merged[field] = ((merged[field] as number | undefined) ?? 0) + value;
    }
  }
  return merged;
}
