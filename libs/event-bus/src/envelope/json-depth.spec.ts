import { jsonTextDepthExceeds, valueDepthExceeds } from './json-depth.js';

/** `depth` arrays inside one another around `inner`: nested(2, '1') is `[[1]]`. */
const nested = (depth: number, inner = ''): string =>
  '['.repeat(depth) + inner + ']'.repeat(depth);
/** The same as a value: `{ a: { a: … } }`, `depth` objects deep. */
const nestedValue = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

describe('jsonTextDepthExceeds', () => {
  it.each<[string, string, number]>([
    ['a scalar', '"text"', 0],
    ['an empty object', '{}', 1],
    ['an object of scalars', '{"a":1,"b":"x","c":null,"d":[]}', 2],
    ['siblings, not nesting', '[[1],[2],[3],{"a":{}}]', 3],
    ['objects in arrays', '{"a":[{"b":[{"c":1}]}]}', 5],
    ['JSON with whitespace', '{ "a" : [ { } ] }', 3],
  ])('finds %s at its depth, not over it', (_label, text, depth) => {
    // maxDepth 0 would take the fast exit for 2-character texts; every text here is longer.
    expect(jsonTextDepthExceeds(text, depth)).toBe(false);
    if (depth > 0 && text.length > 2 * (depth - 1))
      expect(jsonTextDepthExceeds(text, depth - 1)).toBe(true);
  });

  it('allows exactly maxDepth levels and refuses maxDepth + 1', () => {
    expect(jsonTextDepthExceeds(nested(64, '1'), 64)).toBe(false);
    expect(jsonTextDepthExceeds(nested(65, '1'), 64)).toBe(true);
    expect(jsonTextDepthExceeds(`{"data":${nested(64)}}`, 65)).toBe(false);
    expect(jsonTextDepthExceeds(`{"data":${nested(65)}}`, 65)).toBe(true);
  });

  it('takes the fast exit only where the text cannot be deep enough', () => {
    // 2 * maxDepth characters hold at most maxDepth levels; one more level needs two more characters.
    expect(jsonTextDepthExceeds(nested(3), 3)).toBe(false);
    expect(jsonTextDepthExceeds(nested(4), 3)).toBe(true);
    expect(jsonTextDepthExceeds('[[[]]] ', 3)).toBe(false);
  });

  it('skips brackets inside strings', () => {
    const text = JSON.stringify({
      a: '{'.repeat(100),
      b: ['['.repeat(100)],
      c: '}]'.repeat(50),
    });
    expect(jsonTextDepthExceeds(text, 2)).toBe(false);
    expect(jsonTextDepthExceeds(text, 1)).toBe(true);
  });

  it('handles escaped quotes and backslashes in strings', () => {
    // "a\"[[[" stays a string; "b\\" ends at its second quote, so the [[[ after it counts.
    const escapedQuote = JSON.stringify({ a: 'say \\"[[[[[[ and "{{{{{{' });
    expect(JSON.parse(escapedQuote)).toEqual({
      a: 'say \\"[[[[[[ and "{{{{{{',
    });
    expect(jsonTextDepthExceeds(escapedQuote, 1)).toBe(false);
    const endsInBackslash = JSON.stringify({ b: 'dir\\', c: [[[1]]] });
    expect(jsonTextDepthExceeds(endsInBackslash, 4)).toBe(false);
    expect(jsonTextDepthExceeds(endsInBackslash, 3)).toBe(true);
    const threeBackslashes = JSON.stringify({ d: '\\"[[[[[[[[' });
    expect(jsonTextDepthExceeds(threeBackslashes, 1)).toBe(false);
  });

  it('treats an unterminated string as running to the end', () => {
    expect(jsonTextDepthExceeds('{"a":"[[[[[[[[[[[[', 1)).toBe(false);
  });

  it('answers for 200,000 levels without throwing, arrays and objects alike', () => {
    const arrays = nested(200_000);
    const objects = '{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000);
    expect(jsonTextDepthExceeds(arrays, 64)).toBe(true);
    expect(jsonTextDepthExceeds(objects, 64)).toBe(true);
    expect(jsonTextDepthExceeds(arrays, 200_000)).toBe(false);
  });
});

describe('valueDepthExceeds', () => {
  it.each<[string, unknown, number]>([
    ['a string', 'text', 0],
    ['null', null, 0],
    ['an empty array', [], 1],
    ['an object of scalars', { a: 1, b: 'x', c: null }, 1],
    ['siblings, not nesting', [[1], [2], { a: {} }], 3],
    ['objects in arrays', { a: [{ b: [{ c: 1 }] }] }, 5],
  ])('finds %s at its depth, not over it', (_label, value, depth) => {
    expect(valueDepthExceeds(value, depth)).toBe(false);
    expect(valueDepthExceeds(value, depth - 1)).toBe(true);
  });

  it('allows exactly maxDepth levels and refuses maxDepth + 1', () => {
    expect(valueDepthExceeds(nestedValue(64), 64)).toBe(false);
    expect(valueDepthExceeds(nestedValue(65), 64)).toBe(true);
  });

  it('finds a deep branch after shallow ones', () => {
    expect(valueDepthExceeds([1, { a: 2 }, [[[[[[]]]]]]], 6)).toBe(true);
    expect(valueDepthExceeds([1, { a: 2 }, [[[[[[]]]]]]], 7)).toBe(false);
  });

  it('answers for 200,000 levels without throwing, and for a cycle', () => {
    expect(valueDepthExceeds(JSON.parse(nested(200_000)), 64)).toBe(true);
    expect(valueDepthExceeds(nestedValue(200_000), 64)).toBe(true);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(valueDepthExceeds(cycle, 64)).toBe(true);
  });

  it('agrees with jsonTextDepthExceeds on parsed JSON', () => {
    const samples = [
      '{"a":[{"b":[{"c":1}]}]}',
      '[[1],[2],[3],{"a":{}}]',
      JSON.stringify({ s: '[[[[', t: [[[]]] }),
    ];
    for (const text of samples) {
      const value: unknown = JSON.parse(text);
      for (let max = 1; max <= 6; max++)
        expect(valueDepthExceeds(value, max)).toBe(
          jsonTextDepthExceeds(text, max),
        );
    }
  });
});
