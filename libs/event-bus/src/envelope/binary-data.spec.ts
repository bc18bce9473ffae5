import { EventValidationError } from '../errors/event-validation.error.js';
import { findBinaryData } from './binary-data.js';
import { EventCodec } from './event-codec.js';

const METADATA = '{"source":"s","timestamp":"2024-06-01T12:00:00.000Z"}';

/** The error `fn` throws, failing the test when it does not throw one. */
function thrown(fn: () => unknown): EventValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EventValidationError);
    return error as EventValidationError;
  }
  throw new Error('expected an EventValidationError');
}

describe('binary event data', () => {
  const codec = new EventCodec();

  it.each<[string, unknown, string, RegExp]>([
    ['a Buffer', { photo: Buffer.from('abc') }, 'data.photo', /a Buffer/],
    [
      'a Uint8Array in an array',
      { parts: ['x', new Uint8Array([1, 2])] },
      'data.parts[1]',
      /a Uint8Array/,
    ],
    ['an ArrayBuffer', { raw: new ArrayBuffer(4) }, 'data.raw', /ArrayBuffer/],
    ['an empty Buffer as the data', Buffer.alloc(0), 'data', /a Buffer/],
  ])(
    'refuses %s on the exact path and the in-process copy alike, naming the field',
    (_, data, field, kind) => {
      for (const encode of [
        () => codec.encodeParts('id', 'photo.raw', data, METADATA, 1),
        () => codec.copyParts('id', 'photo.raw', data, METADATA, 1),
      ]) {
        const error = thrown(encode);
        expect(error.field).toBe(field);
        expect(error.message).toContain(`field "${field}"`);
        expect(error.message).toMatch(kind);
        expect(error.message).toMatch(/base64/i);
      }
    },
  );

  it('refuses a Buffer too large for maxDataBytes as binary, not as too large', () => {
    const small = new EventCodec({ maxDataBytes: 1000, maxEventBytes: 10_000 });
    const error = thrown(() =>
      small.encodeParts(
        'id',
        'photo.raw',
        { b: Buffer.alloc(5000) },
        METADATA,
        1,
      ),
    );
    expect(error.message).toMatch(/base64/i);
    expect(error.limitUnit).toBeUndefined();
  });

  it('accepts the plain data whose text looks like binary: empty objects, "0" keys, a "Buffer" type', () => {
    for (const data of [
      { empty: {}, list: [{}] },
      { 0: 'zero', 1: 'one' },
      { type: 'Buffer', data: [1, 2] },
      { base64: Buffer.from('abc').toString('base64') },
    ]) {
      expect(() =>
        codec.encodeParts('id', 'photo.raw', data, METADATA, 1),
      ).not.toThrow();
    }
  });

  it('does not walk data whose text has no trace of binary', () => {
    const data = {
      get walked(): string {
        throw new Error('walked');
      },
    };
    // JSON.stringify reads the getter once; a walk would read it again.
    let reads = 0;
    const counted = {
      get value(): string {
        reads++;
        return 'x';
      },
    };
    expect(
      findBinaryData(counted, JSON.stringify(counted), 64),
    ).toBeUndefined();
    expect(reads).toBe(1);
    expect(() => findBinaryData(data, '{"walked":"x"}', 64)).not.toThrow();
  });
});
