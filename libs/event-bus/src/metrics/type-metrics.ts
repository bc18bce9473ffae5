import {
  compilePattern,
  type TypeMatcher,
} from '../matching/pattern-matcher.js';

/** Label of the types past `maxTypeLabels`, or outside the allowlist. Types cannot start with `_`. */
export const OTHER_TYPE_LABEL = '_other';
/** Label of a message whose type could not be read (a malformed durable entry). */
export const UNKNOWN_TYPE_LABEL = '_unknown';

// Types remembered for their label; past this the cache restarts (the counts stay, they live per label).
const TYPE_CACHE_LIMIT = 10_000;

/** How event types become the `type` label of the metrics (see `MetricsModuleOptions`). */
export interface TypeLabelOptions {
  typeSegments: number;
  typeAllowlist?: string[];
  maxTypeLabels: number;
}

/** Counts of one `type` label. */
export interface TypeCounts {
  readonly label: string;
  published: number;
  delivered: number;
  failed: number;
  retried: number;
  deadLettered: number;
  malformed: number;
  missed: number;
}

/** Receives handler run times, in seconds; the Prometheus exporter plugs a histogram in here. */
export type DurationSink = (
  label: string,
  ok: boolean,
  seconds: number,
) => void;

/**
 * The label an event type gets, before the `maxTypeLabels` cap: the first
 * `typeSegments` segments (`photo.processing.progress` → `photo.processing`), or,
 * with an allowlist, the first allowlist pattern that matches the type (and
 * `_other` when none does). Pure; used once per distinct type.
 *
 * @example
 * createTypeLabeler({ typeSegments: 1 })('photo.uploaded') // 'photo'
 * createTypeLabeler({ typeSegments: 2, typeAllowlist: ['photo.*'] })('video.uploaded') // '_other'
 */
export function createTypeLabeler(
  options: Pick<TypeLabelOptions, 'typeSegments' | 'typeAllowlist'>,
): (type: string) => string {
  if (options.typeAllowlist) {
    const allowed: Array<[string, TypeMatcher]> = options.typeAllowlist.map(
      pattern => [pattern, compilePattern(pattern)],
    );
    return type =>
      allowed.find(([, match]) => match(type))?.[0] ?? OTHER_TYPE_LABEL;
  }
  const segments = options.typeSegments;
  return type => {
    let end = -1;
    for (let i = 0; i < segments; i++) {
      end = type.indexOf('.', end + 1);
      if (end < 0) return type;
    }
    return type.slice(0, end);
  };
}

/**
 * Counters per `type` label with bounded cardinality: at most `maxTypeLabels`
 * labels, then `_other`. Only built when the `metrics` option is on; the bus
 * counts here from the same calls that feed `getStats()`.
 */
export class TypeMetrics {
  private readonly byLabel = new Map<string, TypeCounts>();
  private readonly byType = new Map<string, TypeCounts>();
  private readonly labelOf: (type: string) => string;
  /** Set by the Prometheus exporter; run times are dropped while it is unset. */
  durationSink?: DurationSink;

  constructor(private readonly options: TypeLabelOptions) {
    this.labelOf = createTypeLabeler(options);
  }

  /** The counts of the label of `type` (created on first use). */
  countsOf(type: string | undefined): TypeCounts {
    if (type === undefined) return this.countsOfLabel(UNKNOWN_TYPE_LABEL);
    let counts = this.byType.get(type);
    if (counts) return counts;
    counts = this.countsOfLabel(this.labelOf(type));
    if (this.byType.size >= TYPE_CACHE_LIMIT) this.byType.clear();
    this.byType.set(type, counts);
    return counts;
  }

  /** Every label seen so far with its counts. */
  labels(): IterableIterator<TypeCounts> {
    return this.byLabel.values();
  }

  observeDuration(type: string, ok: boolean, seconds: number): void {
    if (this.durationSink)
      this.durationSink(this.countsOf(type).label, ok, seconds);
  }

  private countsOfLabel(wanted: string): TypeCounts {
    let counts = this.byLabel.get(wanted);
    if (counts) return counts;
    const label =
      this.byLabel.size < this.options.maxTypeLabels ||
      wanted === OTHER_TYPE_LABEL
        ? wanted
        : OTHER_TYPE_LABEL;
    counts = this.byLabel.get(label);
    if (!counts) {
      counts = {
        label,
        published: 0,
        delivered: 0,
        failed: 0,
        retried: 0,
        deadLettered: 0,
        malformed: 0,
        missed: 0,
      };
      this.byLabel.set(label, counts);
    }
    return counts;
  }
}
