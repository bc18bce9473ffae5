/**
 * Summarizes a `--trace-gc` log of `run-latency.js --publisher-node-arg=--trace-gc`
 * (its whole stdout, saved to a file): for each run, the publisher's GC events
 * inside its measured phase, found by the pid and `performance.now()` window
 * the runner prints ("gc window: publisher pid N A-B ms"; V8 stamps trace lines
 * in ms since the isolate started, a few ms from performance.now()'s origin).
 *
 * node dist/bench/latency/gc-summary.js LOG
 */
import { readFileSync } from 'node:fs';

interface Window {
  label: string;
  pid: number;
  from: number;
  to: number;
}

interface GcEvent {
  pid: number;
  at: number;
  kind: string;
  pauseMs: number;
  /** Incremental marking before a Mark-Compact: total ms and biggest step. */
  incrementalMs?: number;
  biggestStepMs?: number;
  heapBeforeMb: number;
  heapAfterMb: number;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node dist/bench/latency/gc-summary.js LOG\n');
  process.exit(2);
}
const lines = readFileSync(file, 'utf8').split('\n');
const windows: Window[] = [];
const events: GcEvent[] = [];
let label = '';
const num = (text: string): number => Number(text.replace(/,/g, ''));
for (const line of lines) {
  const rep = /\[bench\] (repetition \d+\/\d+, .*)\.\.\.$/.exec(line);
  if (rep) label = rep[1];
  const win = /gc window: publisher pid (\d+) ([\d,]+)-([\d,]+) ms/.exec(line);
  if (win)
    windows.push({
      label,
      pid: Number(win[1]),
      from: num(win[2]),
      to: num(win[3]),
    });
  const gc =
    /^\[(\d+):0x[0-9a-f]+\]\s+(\d+) ms: ([A-Za-z -]+?) ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, (?:pooled: [^,]+, )?([\d.]+) \/ [\d.]+ ms(.*)$/.exec(
      line,
    );
  if (gc) {
    const steps =
      /\+ ([\d.]+) ms in \d+ steps .*?biggest step ([\d.]+) ms/.exec(gc[7]);
    events.push({
      pid: Number(gc[1]),
      at: Number(gc[2]),
      kind: gc[3].trim(),
      heapBeforeMb: Number(gc[4]),
      heapAfterMb: Number(gc[5]),
      pauseMs: Number(gc[6]),
      incrementalMs: steps ? Number(steps[1]) : undefined,
      biggestStepMs: steps ? Number(steps[2]) : undefined,
    });
  }
}

const summaries = windows.map(w => {
  const mine = events.filter(
    e => e.pid === w.pid && e.at >= w.from && e.at <= w.to,
  );
  const of = (prefix: string) => mine.filter(e => e.kind.startsWith(prefix));
  const max = (values: number[]): number =>
    values.length ? Math.max(...values) : 0;
  const mc = of('Mark-Compact');
  const sc = of('Scavenge');
  const seconds = (w.to - w.from) / 1000;
  return {
    run: w.label,
    pid: w.pid,
    seconds: Math.round(seconds * 10) / 10,
    markCompact: mc.length,
    markCompactEverySeconds: mc.length
      ? Math.round((seconds / mc.length) * 100) / 100
      : null,
    markCompactMaxPauseMs: max(mc.map(e => e.pauseMs)),
    markCompactHeapMb: mc.map(e => `${e.heapBeforeMb}->${e.heapAfterMb}`),
    incrementalMarkingMaxMs: max(mc.map(e => e.incrementalMs ?? 0)),
    biggestIncrementalStepMs: max(mc.map(e => e.biggestStepMs ?? 0)),
    scavenges: sc.length,
    scavengeMaxPauseMs: max(sc.map(e => e.pauseMs)),
    scavengeTotalPauseMs:
      Math.round(sc.reduce((sum, e) => sum + e.pauseMs, 0) * 10) / 10,
  };
});
console.log(JSON.stringify(summaries, null, 2));
