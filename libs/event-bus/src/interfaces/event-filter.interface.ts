/**
 * Operators of a filter condition.
 *
 * @publicApi
 */
export type FilterOperator =
  | 'equals'
  | 'notEquals'
  | 'in'
  | 'notIn'
  | 'greaterThan'
  | 'greaterThanOrEqual'
  | 'lessThan'
  | 'lessThanOrEqual'
  | 'exists'
  | 'notExists'
  | 'contains'
  | 'startsWith'
  | 'endsWith'
  | 'matches';

/**
 * One test on a field of the envelope, addressed by a dotted path from its root
 * (`data.priority`, `metadata.source`, `type`).
 *
 * @publicApi
 */
export interface FilterCondition {
  field: string;
  operator: FilterOperator;
  /** Compared value; an array for `in`/`notIn`, a regular expression source for `matches`; unused by `exists`. */
  value?: unknown;
}

/**
 * Conditions joined by AND or OR; groups nest.
 *
 * @example
 * { operator: 'AND', conditions: [
 *   { field: 'data.priority', operator: 'equals', value: 'high' },
 *   { field: 'data.size', operator: 'greaterThan', value: 1_000_000 },
 * ] }
 *
 * @publicApi
 */
export interface EventFilter {
  /** @default 'AND' */
  operator?: 'AND' | 'OR';
  conditions: Array<FilterCondition | EventFilter>;
}
