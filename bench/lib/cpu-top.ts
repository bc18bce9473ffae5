/**
 * Top functions by self time of a V8 `.cpuprofile` (node --cpu-prof):
 * `node dist/bench/lib/cpu-top.js FILE [N] [--busiest=SECONDS]`. Prints each
 * function's share of the busy samples, with "(garbage collector)" and
 * "(program)" as V8 names them. `--busiest=S` keeps only the S seconds with the
 * fewest idle samples: the measured phase of a bench child, without its start
 * (module loading) and its shutdown.
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

const args = process.argv.slice(2).filter(arg => !arg.startsWith('--'));
const [file, count = '12'] = args;
const busiest = Number(
  process.argv.find(arg => arg.startsWith('--busiest='))?.slice(10) ?? 0,
);
if (!file) {
  process.stderr.write('usage: cpu-top FILE.cpuprofile [N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map(node => [node.id, node]));
const isIdle = (id: number): boolean =>
  byId.get(id)!.callFrame.functionName === '(idle)';
let samples = profile.samples;
if (busiest > 0) {
  const times: number[] = [];
  let t = 0;
  for (const delta of profile.timeDeltas) times.push((t += delta));
  const span = busiest * 1e6;
  let best = { from: 0, to: samples.length, idle: Infinity };
  let idle = 0;
  let from = 0;
  for (let to = 0; to < samples.length; to++) {
    if (isIdle(samples[to])) idle++;
    while (times[to] - times[from] > span) if (isIdle(samples[from++])) idle--;
    if (times[to] - times[0] >= span && idle < best.idle)
      best = { from, to: to + 1, idle };
  }
  samples = samples.slice(best.from, best.to);
}
const self = new Map<string, number>();
for (const id of samples) {
  const frame = byId.get(id)!.callFrame;
  const where = frame.url
    ? ` ${basename(frame.url)}:${frame.lineNumber + 1}`
    : '';
  const key = `${frame.functionName || '(anonymous)'}${where}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
const total = samples.length;
const idle = self.get('(idle)') ?? 0;
console.log(
  `${basename(file)}: ${total} samples, ${((100 * idle) / total).toFixed(1)} % idle; self time of the busy samples:`,
);
for (const [name, samples] of [...self.entries()]
  .filter(([name]) => name !== '(idle)')
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(count)))
  console.log(
    `${((100 * samples) / (total - idle)).toFixed(1).padStart(5)} %  ${name}`,
  );
