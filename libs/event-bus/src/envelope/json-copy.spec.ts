import { describe, expect, it } from '@jest/globals';
import { cloneJson, copyPlainJson, NOT_PLAIN } from './json-copy.js';

const roundTrip = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value)) as unknown;

describe('copyPlainJson', () => {
  it.each<[string, unknown]>([
    ['an object', { a: 1, b: 'two', c: [true, null, { d: 1.5 }] }],
    ['an array', [1, 'x', [], {}]],
    [
      'a string with quotes, unicode and a lone surrogate',
      'say "hé" 🎉 \ud800',
    ],
    ['a number', 42],
    ['null', null],
    ['false', false],
    [
      'integer-like keys, which JSON orders first',
      { b: 1, 2: 'two', a: 3, 1: 'one' },
    ],
    [
      'an object without a prototype',
      Object.assign(Object.create(null), { x: 1 }),
    ],
  ])(
    'copies %s as its JSON would parse back, sharing nothing',
    (_label, value) => {
      const copy = copyPlainJson(value, 64, 1e6);
      expect(copy).toStrictEqual(roundTrip(value));
      expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
      if (value !== null && typeof value === 'object')
        expect(copy).not.toBe(value);
    },
  );

  it('leaves out undefined properties, as JSON does', () => {
    expect(copyPlainJson({ a: undefined, b: 1 }, 64, 1e6)).toStrictEqual({
      b: 1,
    });
  });

  it('shares no nested object or array with the source', () => {
    const source = { list: [{ n: 1 }], inner: { deep: [1] } };
    const copy = copyPlainJson(source, 64, 1e6) as typeof source;
    copy.list[0].n = 2;
    copy.inner.deep.push(2);
    expect(source).toEqual({ list: [{ n: 1 }], inner: { deep: [1] } });
  });

  it.each<[string, () => unknown]>([
    ['a BigInt', () => ({ n: 1n })],
    [
      'a cycle',
      () => {
        const a: Record<string, unknown> = {};
        a.self = a;
        return a;
      },
    ],
    ['a Date', () => ({ at: new Date(0) })],
    ['a toJSON method', () => ({ money: { toJSON: () => '1 EUR' } })],
    ['a function', () => ({ f: () => 1 })],
    ['a symbol', () => ({ s: Symbol('s') })],
    ['NaN', () => ({ n: NaN })],
    ['Infinity', () => [Infinity]],
    ['-0', () => ({ z: -0 })],
    ['undefined in an array', () => [1, undefined]],
    ['a hole in an array', () => new Array<number>(3).fill(1, 0, 1)],
    ['undefined', () => undefined],
    ['a Map', () => ({ m: new Map() })],
    [
      'a class instance',
      () => ({
        p: new (class Point {
          x = 1;
        })(),
      }),
    ],
    ['a Buffer', () => ({ b: Buffer.from('x') })],
    ['a boxed string', () => ({ s: new String('x') })],
    [
      'an own __proto__ key',
      () => JSON.parse('{"__proto__":{"x":1}}') as unknown,
    ],
    [
      'a getter that throws',
      () => ({
        get bad(): never {
          throw new Error('no');
        },
      }),
    ],
  ])('leaves %s to the exact path (NOT_PLAIN)', (_label, make) => {
    expect(copyPlainJson(make(), 64, 1e6)).toBe(NOT_PLAIN);
  });

  it('stops at maxDepth: {} is 1 level', () => {
    expect(copyPlainJson({ a: {} }, 2, 1e6)).toEqual({ a: {} });
    expect(copyPlainJson({ a: {} }, 1, 1e6)).toBe(NOT_PLAIN);
    expect(copyPlainJson([[[]]], 2, 1e6)).toBe(NOT_PLAIN);
    expect(copyPlainJson('scalar', 0, 1e6)).toBe('scalar');
  });

  it('copies only data whose JSON is surely within maxBytes (6 bytes per string unit)', () => {
    // "xxxxxxxxxx": 2 + 6 * 10 = 62 at most.
    expect(copyPlainJson('x'.repeat(10), 64, 62)).toBe('x'.repeat(10));
    expect(copyPlainJson('x'.repeat(10), 64, 61)).toBe(NOT_PLAIN);
  });
});

describe('cloneJson', () => {
  it('copies parsed JSON, an own __proto__ key included', () => {
    const parsed = JSON.parse('{"__proto__":{"x":1},"list":[1]}') as Record<
      string,
      unknown
    >;
    const copy = cloneJson(parsed);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(parsed));
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.list).not.toBe(parsed.list);
  });
});
