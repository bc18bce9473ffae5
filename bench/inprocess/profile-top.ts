/**
 * Top self-time entries of a V8 CPU profile (`node --cpu-prof`), as shares of
 * the busy time (the profile's samples minus `(idle)`):
 * `node dist/bench/inprocess/profile-top.js FILE.cpuprofile [N]`.
 * Entries are grouped by function, file and line; `(garbage collector)` is GC.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
  };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, n = '12'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-top FILE.cpuprofile [N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const names = new Map<number, string>();
for (const { id, callFrame } of profile.nodes) {
  const where = callFrame.url
    ? ` ${basename(callFrame.url)}:${callFrame.lineNumber + 1}`
    : '';
  names.set(id, `${callFrame.functionName || '(anonymous)'}${where}`);
}
const selfUs = new Map<string, number>();
let busy = 0;
profile.samples.forEach((id, i) => {
  const name = names.get(id) ?? '?';
  const delta = profile.timeDeltas[i] ?? 0;
  if (name === '(idle)') return;
  busy += delta;
  selfUs.set(name, (selfUs.get(name) ?? 0) + delta);
});
console.log(`${basename(file)}: ${(busy / 1000).toFixed(0)} ms busy`);
for (const [name, us] of [...selfUs.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(n))) {
  console.log(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${name}`);
}
