import {
  compileEventSchema,
  describeProblems,
  isStandardSchema,
  standardSchemaProblems,
} from './event-schema.util.js';

const props = { version: 1, vendor: 'hand', validate: () => ({ value: 1 }) };

class SomeDto {}

describe('isStandardSchema', () => {
  it.each<[string, unknown]>([
    ['an object with ~standard', { '~standard': props }],
    [
      'a function with ~standard (arktype)',
      Object.assign(() => 1, { '~standard': props }),
    ],
  ])('accepts %s', (_what, value) => {
    expect(isStandardSchema(value)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'zod'],
    ['a class', SomeDto],
    ['~standard of version 2', { '~standard': { ...props, version: 2 } }],
    [
      '~standard without validate',
      { '~standard': { version: 1, vendor: 'x' } },
    ],
    ['~standard as a string', { '~standard': 'yes' }],
  ])('refuses %s', (_what, value) => {
    expect(isStandardSchema(value)).toBe(false);
  });
});

describe('compileEventSchema', () => {
  it('takes a class as a DTO, anything with a v1 ~standard as a Standard Schema named by its vendor', () => {
    expect(compileEventSchema(SomeDto)).toEqual({ kind: 'dto', dto: SomeDto });
    expect(compileEventSchema({ '~standard': props })).toMatchObject({
      kind: 'standard',
      vendor: 'hand',
    });
    expect(
      compileEventSchema({ '~standard': { ...props, vendor: '' } }),
    ).toMatchObject({ kind: 'standard', vendor: 'standard' });
  });

  it('never takes a function with another ~standard for a DTO', () => {
    const future = Object.assign(function Schema() {}, {
      '~standard': { ...props, version: 2 },
    });
    expect(compileEventSchema(future)).toMatchObject({
      kind: 'invalid',
      expected: expect.stringMatching(/not of version 1 .*\(version: 2\)$/),
    });
  });

  it.each<[string, unknown]>([
    ['an arrow function', () => ({})],
    ['a number', 42],
    ['undefined', undefined],
    ['a plain object', { parse: () => true }],
  ])('refuses %s', (_what, value) => {
    expect(compileEventSchema(value).kind).toBe('invalid');
  });
});

describe('standardSchemaProblems and describeProblems', () => {
  it('joins path keys, { key } segments, numbers and symbols with dots under data', () => {
    expect(
      standardSchemaProblems([
        { message: 'a', path: ['items', { key: 2 }, 'sku'] },
        { message: 'b', path: [] },
        { message: 'c' },
        { message: 'd', path: [Symbol('s')] },
      ]),
    ).toEqual([
      { field: 'data.items.2.sku', text: 'a' },
      { field: 'data', text: 'b' },
      { field: 'data', text: 'c' },
      { field: 'data.Symbol(s)', text: 'd' },
    ]);
  });

  it('lists ten problems and counts the rest', () => {
    const problems = Array.from({ length: 11 }, (_, i) => ({
      field: `data.f${i}`,
      text: 'bad',
    }));
    expect(describeProblems(problems.slice(0, 2))).toBe(
      'data.f0: bad; data.f1: bad',
    );
    expect(describeProblems(problems)).toMatch(/data\.f9: bad; and 1 more$/);
  });
});
