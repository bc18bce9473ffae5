import {
  compilePattern,
  isExactPattern,
  isInternalRoute,
  type TypeMatcher,
} from './pattern-matcher.js';

/** Types whose lookups are remembered at most (a hostile publisher can invent types). */
const MAX_CACHED_TYPES = 10_000;

/**
 * Patterns and what they lead to, and the one answer the bus needs of them:
 * what does a type reach? Exact patterns are a map lookup; wildcards are
 * matched once per type and the answer is remembered until a pattern changes.
 * `#` routes (`#gateway`) are exact only: no wildcard, not even `**`, matches
 * them.
 *
 * The router keeps its handlers here and the durable manager its registered
 * patterns: one implementation of "which patterns match this type".
 */
export class RouteTable<V> {
  private readonly exact = new Map<string, Map<string, V>>();
  private readonly wild = new Map<
    string,
    { match: TypeMatcher; values: Map<string, V> }
  >();
  private readonly cache = new Map<string, readonly V[]>();
  private count = 0;

  /** Values in the table, over every pattern. */
  get size(): number {
    return this.count;
  }

  /** Adds `value` under `pattern` and `key`; true when the pattern is new to the table. */
  add(pattern: string, key: string, value: V): boolean {
    let values = this.valuesOf(pattern);
    const isNew = values === undefined;
    if (values === undefined) {
      values = new Map();
      if (isExactPattern(pattern)) this.exact.set(pattern, values);
      else this.wild.set(pattern, { match: compilePattern(pattern), values });
    }
    if (!values.has(key)) this.count++;
    values.set(key, value);
    this.cache.clear();
    return isNew;
  }

  /** Removes one value; true when that left its pattern empty (and gone). */
  remove(pattern: string, key: string): boolean {
    const values = this.valuesOf(pattern);
    if (!values?.delete(key)) return false;
    this.count--;
    this.cache.clear();
    if (values.size > 0) return false;
    this.exact.delete(pattern);
    this.wild.delete(pattern);
    return true;
  }

  has(pattern: string): boolean {
    return this.valuesOf(pattern) !== undefined;
  }

  patterns(): string[] {
    return [...this.exact.keys(), ...this.wild.keys()];
  }

  /** Every value whose pattern matches `route`: exact ones first, then wildcards in the order added. */
  match(route: string): readonly V[] {
    const cached = this.cache.get(route);
    if (cached !== undefined) return cached;
    const found: V[] = [];
    const exact = this.exact.get(route);
    if (exact) found.push(...exact.values());
    if (!isInternalRoute(route))
      for (const { match, values } of this.wild.values())
        if (match(route)) found.push(...values.values());
    if (this.cache.size >= MAX_CACHED_TYPES) this.cache.clear();
    this.cache.set(route, found);
    return found;
  }

  clear(): void {
    this.exact.clear();
    this.wild.clear();
    this.cache.clear();
    this.count = 0;
  }

  private valuesOf(pattern: string): Map<string, V> | undefined {
    return this.exact.get(pattern) ?? this.wild.get(pattern)?.values;
  }
}
