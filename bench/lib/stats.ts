import { cpus, release, totalmem } from 'node:os';

/** Median of the values (mean of the middle two when even); NaN when empty. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The sides in repetition `rep`'s order (1-based), rotated so each side runs first, second, … as often. */
export function rotatedOrder<T>(sides: readonly T[], rep: number): T[] {
  const shift = (rep - 1) % sides.length;
  return [...sides.slice(shift), ...sides.slice(0, shift)];
}

/** p50, p99, max and mean of latencies; `values` is sorted in place. */
export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentiles(values: Float64Array): Percentiles {
  values.sort();
  const at = (q: number): number =>
    values[Math.min(values.length - 1, Math.floor(q * values.length))];
  let sum = 0;
  for (const value of values) sum += value;
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: values[values.length - 1],
    mean: sum / values.length,
  };
}

/** `value` with thousands separators and exactly `digits` decimals; 'n/a' when not finite. */
export const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        maximumFractionDigits: digits,
        minimumFractionDigits: digits,
      })
    : 'n/a';

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 0): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  totalMemGb: number;
  platform: string;
  node: string;
  redis: string;
}

/** The machine a run was made on. */
export function machineInfo(redisVersion: string): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    totalMemGb: round(totalmem() / 1024 ** 3, 1),
    platform: `${process.platform} ${release()} ${process.arch}`,
    node: process.version,
    redis: redisVersion,
  };
}

/** A plain-text table with right-aligned columns after the first. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ');
  return [
    line(header),
    widths.map(w => '-'.repeat(w)).join('  '),
    ...rows.map(line),
  ].join('\n');
}
