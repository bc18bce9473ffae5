/** Command-line flags of the bench runners: `--name=value`. */

/** The value of `--name=value`, or undefined when the flag is absent. */
export function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find(arg => arg.startsWith(prefix))?.slice(prefix.length);
}

/** `--name=N` as a whole number >= 0, or `fallback`; throws on anything else. */
export function intFlag(name: string, fallback: number): number {
  const raw = flag(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`--${name}=${raw}: expected a whole number >= 0`);
  return value;
}

/** `--name=N` as a number > 0, or `fallback`; throws on anything else. */
export function numberFlag(name: string, fallback: number): number {
  const raw = flag(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name}=${raw}: expected a number > 0`);
  return value;
}
