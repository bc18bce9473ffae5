import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { messages } from '../event-bus.messages.js';
import type {
  EventFilter,
  FilterCondition,
  FilterOperator,
} from '../interfaces/event-filter.interface.js';

/** A compiled filter: true when the event passes. */
export type EventPredicate = (event: unknown) => boolean;

const OPERATORS = new Set<FilterOperator>([
  'equals',
  'notEquals',
  'in',
  'notIn',
  'greaterThan',
  'greaterThanOrEqual',
  'lessThan',
  'lessThanOrEqual',
  'exists',
  'notExists',
  'contains',
  'startsWith',
  'endsWith',
  'matches',
]);

function isGroup(node: FilterCondition | EventFilter): node is EventFilter {
  return Array.isArray((node as EventFilter).conditions);
}

function readPath(path: string[]): (root: unknown) => unknown {
  return root => {
    let value: unknown = root;
    for (const key of path) {
      if (value === null || typeof value !== 'object') return undefined;
      // NOTE: own properties only, so `__proto__` or `constructor` paths read nothing.
      if (!Object.prototype.hasOwnProperty.call(value, key)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  };
}

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string')
    return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function compileCondition(condition: FilterCondition): EventPredicate {
  const { field, operator, value } = condition;
  if (typeof field !== 'string' || field.length === 0) {
    throw new InvalidConfigurationError(
      messages.invalidFilter(
        `condition field ${JSON.stringify(field)} must be a dotted path such as "data.size"`,
      ),
    );
  }
  if (!OPERATORS.has(operator)) {
    throw new InvalidConfigurationError(
      messages.invalidFilter(
        `operator ${JSON.stringify(operator)} is unknown; use one of ${[...OPERATORS].join(', ')}`,
      ),
    );
  }
  const read = readPath(field.split('.'));
  switch (operator) {
    case 'equals':
      return e => read(e) === value;
    case 'notEquals':
      return e => read(e) !== value;
    case 'in':
    case 'notIn': {
      if (!Array.isArray(value)) {
        throw new InvalidConfigurationError(
          messages.invalidFilter(
            `"${operator}" on "${field}" needs an array value`,
          ),
        );
      }
      const set = new Set(value);
      return operator === 'in' ? e => set.has(read(e)) : e => !set.has(read(e));
    }
    case 'greaterThan':
      return e => (compare(read(e), value) ?? NaN) > 0;
    case 'greaterThanOrEqual':
      return e => (compare(read(e), value) ?? NaN) >= 0;
    case 'lessThan':
      return e => (compare(read(e), value) ?? NaN) < 0;
    case 'lessThanOrEqual':
      return e => (compare(read(e), value) ?? NaN) <= 0;
    case 'exists':
      return e => read(e) !== undefined && read(e) !== null;
    case 'notExists':
      return e => read(e) === undefined || read(e) === null;
    case 'contains':
      return e => {
        const actual = read(e);
        if (typeof actual === 'string')
          return typeof value === 'string' && actual.includes(value);
        return Array.isArray(actual) && actual.includes(value);
      };
    case 'startsWith':
      return e => {
        const actual = read(e);
        return (
          typeof actual === 'string' &&
          typeof value === 'string' &&
          actual.startsWith(value)
        );
      };
    case 'endsWith':
      return e => {
        const actual = read(e);
        return (
          typeof actual === 'string' &&
          typeof value === 'string' &&
          actual.endsWith(value)
        );
      };
    case 'matches': {
      let regex: RegExp;
      try {
        // NOTE: drop the stateful g and y flags, else `test` resumes at `lastIndex` and alternates results.
        regex =
          value instanceof RegExp
            ? new RegExp(value.source, value.flags.replace(/[gy]/g, ''))
            : new RegExp(String(value));
      } catch (error) {
        throw new InvalidConfigurationError(
          messages.invalidFilter(
            `"matches" on "${field}" has an invalid regular expression: ${(error as Error).message}`,
          ),
        );
      }
      return e => {
        const actual = read(e);
        return typeof actual === 'string' && regex.test(actual);
      };
    }
  }
}

/**
 * Compiles a filter once, at subscription time, into a predicate. Invalid
 * filters fail here with `InvalidConfigurationError`, not on the first event.
 * An empty group passes everything.
 */
export function compileFilter(filter: EventFilter): EventPredicate {
  const joiner = filter.operator ?? 'AND';
  if (joiner !== 'AND' && joiner !== 'OR') {
    throw new InvalidConfigurationError(
      messages.invalidFilter(
        `group operator ${JSON.stringify(joiner)} must be "AND" or "OR"`,
      ),
    );
  }
  if (!Array.isArray(filter.conditions)) {
    throw new InvalidConfigurationError(
      messages.invalidFilter('"conditions" must be an array'),
    );
  }
  const parts = filter.conditions.map(node =>
    isGroup(node) ? compileFilter(node) : compileCondition(node),
  );
  if (parts.length === 0) return () => true;
  return joiner === 'AND'
    ? e => parts.every(part => part(e))
    : e => parts.some(part => part(e));
}
