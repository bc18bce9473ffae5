import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type {
  EventFilter,
  FilterCondition,
} from '../interfaces/event-filter.interface.js';
import { compileFilter } from './event-filter.js';

const event = {
  id: '01J0000000000000000000000',
  type: 'photo.uploaded',
  data: {
    priority: 'high',
    size: 2_000_000,
    name: 'holiday-beach.jpg',
    tags: ['beach', 'summer'],
    owner: { id: 'u1', plan: null },
    zero: 0,
  },
  metadata: { source: 'photo-service', traceId: 't1' },
};

const one = (condition: FilterCondition) =>
  compileFilter({ conditions: [condition] })(event);

describe('compileFilter', () => {
  describe('operators', () => {
    it.each<[string, FilterCondition, boolean]>([
      [
        'equals string',
        { field: 'data.priority', operator: 'equals', value: 'high' },
        true,
      ],
      [
        'equals other',
        { field: 'data.priority', operator: 'equals', value: 'low' },
        false,
      ],
      [
        'equals is strict',
        { field: 'data.size', operator: 'equals', value: '2000000' },
        false,
      ],
      [
        'equals null',
        { field: 'data.owner.plan', operator: 'equals', value: null },
        true,
      ],
      [
        'notEquals other',
        { field: 'data.priority', operator: 'notEquals', value: 'low' },
        true,
      ],
      [
        'notEquals same',
        { field: 'data.priority', operator: 'notEquals', value: 'high' },
        false,
      ],
      [
        'in listed',
        { field: 'data.priority', operator: 'in', value: ['high', 'urgent'] },
        true,
      ],
      [
        'in not listed',
        { field: 'data.priority', operator: 'in', value: ['low'] },
        false,
      ],
      [
        'notIn not listed',
        { field: 'data.priority', operator: 'notIn', value: ['low'] },
        true,
      ],
      [
        'notIn listed',
        { field: 'data.priority', operator: 'notIn', value: ['high'] },
        false,
      ],
      [
        'greaterThan below',
        { field: 'data.size', operator: 'greaterThan', value: 1_000_000 },
        true,
      ],
      [
        'greaterThan equal',
        { field: 'data.size', operator: 'greaterThan', value: 2_000_000 },
        false,
      ],
      [
        'greaterThan strings',
        { field: 'data.priority', operator: 'greaterThan', value: 'a' },
        true,
      ],
      [
        'greaterThan mixed types',
        { field: 'data.size', operator: 'greaterThan', value: '1' },
        false,
      ],
      [
        'greaterThanOrEqual equal',
        {
          field: 'data.size',
          operator: 'greaterThanOrEqual',
          value: 2_000_000,
        },
        true,
      ],
      [
        'greaterThanOrEqual above',
        {
          field: 'data.size',
          operator: 'greaterThanOrEqual',
          value: 2_000_001,
        },
        false,
      ],
      [
        'lessThan above',
        { field: 'data.size', operator: 'lessThan', value: 3_000_000 },
        true,
      ],
      [
        'lessThan equal',
        { field: 'data.size', operator: 'lessThan', value: 2_000_000 },
        false,
      ],
      [
        'lessThan zero',
        { field: 'data.zero', operator: 'lessThan', value: 1 },
        true,
      ],
      [
        'lessThanOrEqual equal',
        { field: 'data.size', operator: 'lessThanOrEqual', value: 2_000_000 },
        true,
      ],
      [
        'lessThanOrEqual below',
        { field: 'data.size', operator: 'lessThanOrEqual', value: 1 },
        false,
      ],
      ['exists present', { field: 'data.name', operator: 'exists' }, true],
      ['exists zero', { field: 'data.zero', operator: 'exists' }, true],
      ['exists null', { field: 'data.owner.plan', operator: 'exists' }, false],
      ['exists absent', { field: 'data.missing', operator: 'exists' }, false],
      [
        'notExists absent',
        { field: 'data.missing', operator: 'notExists' },
        true,
      ],
      [
        'notExists null',
        { field: 'data.owner.plan', operator: 'notExists' },
        true,
      ],
      [
        'notExists present',
        { field: 'data.name', operator: 'notExists' },
        false,
      ],
      [
        'contains substring',
        { field: 'data.name', operator: 'contains', value: 'beach' },
        true,
      ],
      [
        'contains no substring',
        { field: 'data.name', operator: 'contains', value: 'snow' },
        false,
      ],
      [
        'contains array item',
        { field: 'data.tags', operator: 'contains', value: 'summer' },
        true,
      ],
      [
        'contains no array item',
        { field: 'data.tags', operator: 'contains', value: 'winter' },
        false,
      ],
      [
        'contains on a number',
        { field: 'data.size', operator: 'contains', value: 2 },
        false,
      ],
      [
        'startsWith yes',
        { field: 'data.name', operator: 'startsWith', value: 'holiday' },
        true,
      ],
      [
        'startsWith no',
        { field: 'data.name', operator: 'startsWith', value: 'beach' },
        false,
      ],
      [
        'startsWith non-string',
        { field: 'data.size', operator: 'startsWith', value: '2' },
        false,
      ],
      [
        'endsWith yes',
        { field: 'data.name', operator: 'endsWith', value: '.jpg' },
        true,
      ],
      [
        'endsWith no',
        { field: 'data.name', operator: 'endsWith', value: '.png' },
        false,
      ],
      [
        'matches source',
        {
          field: 'data.name',
          operator: 'matches',
          value: '^holiday-.*\\.jpe?g$',
        },
        true,
      ],
      [
        'matches source, no match',
        { field: 'data.name', operator: 'matches', value: '\\.png$' },
        false,
      ],
      [
        'matches RegExp',
        { field: 'type', operator: 'matches', value: /^photo\./ },
        true,
      ],
      [
        'matches non-string',
        { field: 'data.size', operator: 'matches', value: '2' },
        false,
      ],
    ])('%s', (_label, condition, expected) => {
      expect(one(condition)).toBe(expected);
    });

    it('matches gives the same answer on every event with a global RegExp', () => {
      const pass = compileFilter({
        conditions: [
          { field: 'data.name', operator: 'matches', value: /beach/g },
        ],
      });
      expect([pass(event), pass(event), pass(event)]).toEqual([
        true,
        true,
        true,
      ]);
    });
  });

  describe('groups', () => {
    it('passes the seed example (high priority and over 1 MB)', () => {
      const filter: EventFilter = {
        conditions: [
          { field: 'data.priority', operator: 'equals', value: 'high' },
          { field: 'data.size', operator: 'greaterThan', value: 1000000 },
        ],
        operator: 'AND',
      };
      const pass = compileFilter(filter);
      expect(pass(event)).toBe(true);
      expect(pass({ ...event, data: { ...event.data, size: 10 } })).toBe(false);
      expect(pass({ ...event, data: { ...event.data, priority: 'low' } })).toBe(
        false,
      );
    });

    it('joins with AND by default', () => {
      const pass = compileFilter({
        conditions: [
          { field: 'data.priority', operator: 'equals', value: 'high' },
          { field: 'data.size', operator: 'lessThan', value: 10 },
        ],
      });
      expect(pass(event)).toBe(false);
    });

    it('joins with OR when asked', () => {
      const pass = compileFilter({
        operator: 'OR',
        conditions: [
          { field: 'data.priority', operator: 'equals', value: 'low' },
          { field: 'data.size', operator: 'greaterThan', value: 10 },
        ],
      });
      expect(pass(event)).toBe(true);
      expect(pass({ data: { priority: 'low', size: 1 } })).toBe(true);
      expect(pass({ data: { priority: 'high', size: 1 } })).toBe(false);
    });

    it('nests groups', () => {
      // source is photo-service AND (priority is urgent OR (high AND tagged summer))
      const pass = compileFilter({
        conditions: [
          {
            field: 'metadata.source',
            operator: 'equals',
            value: 'photo-service',
          },
          {
            operator: 'OR',
            conditions: [
              { field: 'data.priority', operator: 'equals', value: 'urgent' },
              {
                conditions: [
                  { field: 'data.priority', operator: 'equals', value: 'high' },
                  { field: 'data.tags', operator: 'contains', value: 'summer' },
                ],
              },
            ],
          },
        ],
      });
      expect(pass(event)).toBe(true);
      expect(pass({ ...event, data: { ...event.data, tags: [] } })).toBe(false);
      expect(pass({ ...event, data: { priority: 'urgent' } })).toBe(true);
      expect(pass({ ...event, metadata: { source: 'other' } })).toBe(false);
    });

    it('passes everything with an empty group', () => {
      expect(compileFilter({ conditions: [] })(event)).toBe(true);
      expect(compileFilter({ operator: 'OR', conditions: [] })(undefined)).toBe(
        true,
      );
    });
  });

  describe('field paths', () => {
    it('reads missing fields and non-object parents as absent', () => {
      const equals = compileFilter({
        conditions: [
          { field: 'data.owner.id', operator: 'equals', value: 'u1' },
        ],
      });
      const exists = compileFilter({
        conditions: [{ field: 'data.owner.id', operator: 'exists' }],
      });
      for (const input of [
        {},
        { data: null },
        { data: 'text' },
        { data: { owner: 5 } },
        null,
        undefined,
        'x',
      ]) {
        expect(equals(input)).toBe(false);
        expect(exists(input)).toBe(false);
      }
      expect(
        compileFilter({
          conditions: [
            { field: 'data.size', operator: 'greaterThan', value: 0 },
          ],
        })({}),
      ).toBe(false);
      expect(
        compileFilter({
          conditions: [{ field: 'data.size', operator: 'lessThan', value: 0 }],
        })({}),
      ).toBe(false);
    });

    it('reads array items by index', () => {
      expect(
        one({ field: 'data.tags.0', operator: 'equals', value: 'beach' }),
      ).toBe(true);
    });

    it.each([
      'data.__proto__',
      'data.constructor',
      'data.constructor.name',
      'data.toString',
      'data.__proto__.polluted',
    ])('reads nothing through the prototype path %s', field => {
      expect(one({ field, operator: 'exists' })).toBe(false);
      expect(one({ field, operator: 'notExists' })).toBe(true);
    });

    it('does not treat Object as the value of data.constructor', () => {
      expect(
        one({ field: 'data.constructor', operator: 'equals', value: Object }),
      ).toBe(false);
      expect(
        one({
          field: 'data.constructor.name',
          operator: 'equals',
          value: 'Object',
        }),
      ).toBe(false);
    });
  });

  describe('invalid filters', () => {
    it.each<[string, unknown]>([
      [
        'unknown operator',
        { conditions: [{ field: 'data.a', operator: 'like', value: 'x' }] },
      ],
      [
        'in without an array',
        { conditions: [{ field: 'data.a', operator: 'in', value: 'x' }] },
      ],
      [
        'notIn without an array',
        { conditions: [{ field: 'data.a', operator: 'notIn' }] },
      ],
      [
        'bad regex',
        { conditions: [{ field: 'data.a', operator: 'matches', value: '(' }] },
      ],
      ['bad group operator', { operator: 'XOR', conditions: [] }],
      [
        'bad nested group operator',
        { conditions: [{ operator: 'NOT', conditions: [] }] },
      ],
      ['conditions not an array', { conditions: 'data.a' }],
      ['empty field', { conditions: [{ field: '', operator: 'exists' }] }],
      [
        'unknown operator deep down',
        {
          conditions: [
            { conditions: [{ field: 'a', operator: 'gt', value: 1 }] },
          ],
        },
      ],
    ])(
      'throws InvalidConfigurationError at compile time: %s',
      (_label, filter) => {
        expect(() => compileFilter(filter as EventFilter)).toThrow(
          InvalidConfigurationError,
        );
      },
    );

    it('names the bad operator and the valid ones', () => {
      expect(() =>
        compileFilter({
          conditions: [
            { field: 'data.a', operator: 'like' as never, value: 'x' },
          ],
        }),
      ).toThrow(/"like" is unknown; use one of equals, notEquals/);
    });
  });
});
