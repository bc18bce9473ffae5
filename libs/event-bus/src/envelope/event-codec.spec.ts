import { EventValidationError } from '../errors/event-validation.error.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';
import { DEFAULT_LIMITS, EventCodec } from './event-codec.js';

const envelope = (...args: [data?: unknown]): EventEnvelope => ({
  id: '01HZX3Q5V6W7X8Y9Z0ABCDEFGH',
  type: 'photo.uploaded',
  // An explicit undefined is kept: only envelope() itself gets the default data.
  data: args.length > 0 ? args[0] : { photoId: 'p1', size: 42 },
  metadata: {
    source: 'photo-service',
    timestamp: '2024-06-01T12:00:00.000Z',
    traceId: 'trace-1',
    correlationId: 'trace-1',
    room: 'album:7',
  },
  version: 1,
});

/** Catches the error `fn` throws, failing the test when it does not. */
function thrown(fn: () => unknown): EventValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EventValidationError);
    return error as EventValidationError;
  }
  throw new Error('expected an EventValidationError');
}

describe('EventCodec.encode', () => {
  const codec = new EventCodec();

  it.each<[string, unknown]>([
    [
      'an object',
      { photoId: 'p1', size: 42, tags: ['a', 'b'], nested: { ok: true } },
    ],
    ['null', null],
    ['a string with quotes and unicode', 'say "hé" 🎉'],
    ['a number', 0],
    ['an array', [1, 'two', null]],
  ])(
    'produces JSON that parses back to the envelope with %s data',
    (_label, data) => {
      const input = envelope(data);
      expect(JSON.parse(codec.encode(input))).toEqual(input);
    },
  );

  it('writes the same bytes from metadata JSON (the publish fast path) as from the object', () => {
    const input = envelope();
    const { source, timestamp, traceId } = input.metadata;
    // The template sendPlain uses, with the fields in the object's order.
    const metadataJson = `{"source":${JSON.stringify(source)},"timestamp":"${timestamp}","traceId":"${traceId}","correlationId":"${traceId}"}`;
    const { room: _room, ...plain } = input.metadata;
    expect(
      codec.encodeParts(input.id, input.type, input.data, metadataJson, 1),
    ).toBe(codec.encode({ ...input, metadata: plain }));
  });

  it('rejects data over maxDataBytes, naming the limit', () => {
    const small = new EventCodec({ maxDataBytes: 100, maxEventBytes: 10_000 });
    const error = thrown(() =>
      small.encode(envelope({ text: 'x'.repeat(200) })),
    );
    expect(error.field).toBe('data');
    expect(error.limit).toBe(100);
    expect(error.message).toMatch(/limit of 100 bytes/);
    expect(error.message).toMatch(/maxDataBytes/);
  });

  it('accepts data of exactly maxDataBytes', () => {
    const data = 'x'.repeat(98); // 100 bytes with its quotes
    const exact = new EventCodec({ maxDataBytes: 100, maxEventBytes: 10_000 });
    expect(() => exact.encode(envelope(data))).not.toThrow();
  });

  it('rejects an envelope over maxEventBytes, naming the limit', () => {
    const small = new EventCodec({ maxDataBytes: 10_000, maxEventBytes: 200 });
    const error = thrown(() =>
      small.encode(envelope({ text: 'x'.repeat(150) })),
    );
    expect(error.field).toBe('envelope');
    expect(error.limit).toBe(200);
    expect(error.message).toMatch(/limit of 200 bytes/);
    expect(error.message).toMatch(/maxEventBytes/);
  });

  it('counts the envelope size exactly', () => {
    const input = envelope({ a: 1 });
    const bytes = Buffer.byteLength(new EventCodec().encode(input));
    expect(() =>
      new EventCodec({ maxDataBytes: 10_000, maxEventBytes: bytes }).encode(
        input,
      ),
    ).not.toThrow();
    expect(() =>
      new EventCodec({ maxDataBytes: 10_000, maxEventBytes: bytes - 1 }).encode(
        input,
      ),
    ).toThrow(EventValidationError);
  });

  it('counts multi-byte UTF-8 in bytes, not characters', () => {
    const data = 'é'.repeat(60); // 62 characters as JSON, 122 bytes
    const codec100 = new EventCodec({
      maxDataBytes: 100,
      maxEventBytes: 10_000,
    });
    const error = thrown(() => codec100.encode(envelope(data)));
    expect(error.message).toMatch(/is 122 bytes/);
    expect(() => codec100.encode(envelope('é'.repeat(49)))).not.toThrow();

    const withMetadata = envelope('x');
    withMetadata.metadata.room = '房'.repeat(50); // 150 bytes
    const plain = Buffer.byteLength(codec.encode(withMetadata));
    expect(() =>
      new EventCodec({ maxDataBytes: 100, maxEventBytes: plain - 1 }).encode(
        withMetadata,
      ),
    ).toThrow(/envelope is \d+ bytes/);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['a BigInt', { size: BigInt(1) }],
    ['a bare BigInt', BigInt(1)],
    ['a function', () => 1],
    ['a symbol', Symbol('x')],
  ])('rejects %s data', (_label, data) => {
    const error = thrown(() => codec.encode(envelope(data)));
    expect(error.field).toBe('data');
    expect(error.limit).toBeUndefined();
  });

  it('rejects circular data', () => {
    const data: Record<string, unknown> = { a: 1 };
    data.self = data;
    const error = thrown(() => codec.encode(envelope(data)));
    expect(error.field).toBe('data');
    expect(error.message).toMatch(/cannot be serialized/);
  });
});

describe('EventCodec.copyParts (in-process publishes)', () => {
  const id = '01HZX3Q5V6W7X8Y9Z0ABCDEFGH';
  const type = 'photo.uploaded';
  const metadataJson =
    '{"source":"photo-service","timestamp":"2024-06-01T12:00:00.000Z","traceId":"t","correlationId":"t"}';
  const limits = { maxDataBytes: 300, maxEventBytes: 600, maxDepth: 4 };

  /** What `fn` throws, or undefined. */
  const caught = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (error) {
      return error;
    }
    return undefined;
  };

  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['a BigInt', { n: 1n }],
    ['a cycle', cycle],
    ['a function', () => 1],
    ['data one level too deep', [[[[[1]]]]]],
    ['data over maxDataBytes', { text: 'x'.repeat(301) }],
    ['multi-byte data over maxDataBytes', 'é'.repeat(150)],
    [
      'an envelope over maxEventBytes',
      { text: 'x'.repeat(250), more: 'y'.repeat(40) },
    ],
  ])('refuses %s with the error encodeParts throws', (_label, data) => {
    const codec = new EventCodec(limits);
    const expected = caught(() =>
      codec.encodeParts(id, type, data, metadataJson, 1),
    );
    expect(expected).toBeInstanceOf(EventValidationError);
    const error = caught(() =>
      codec.copyParts(id, type, data, metadataJson, 1),
    );
    expect(error).toBeInstanceOf(EventValidationError);
    expect(error).toEqual(expected);
    expect((error as Error).message).toBe((expected as Error).message);
  });

  it.each<[string, unknown]>([
    [
      'plain data',
      { photoId: 'p1', tags: ['a'], size: 42, ok: true, none: null },
    ],
    ['data of exactly maxDataBytes', 'x'.repeat(298)],
    [
      'a Date, a toJSON and an undefined property',
      { at: new Date(0), m: { toJSON: () => 'm' }, u: undefined },
    ],
    ['data at maxDepth', [[[[1]]]]],
  ])(
    'returns %s as a receiver of encodeParts would decode it',
    (_label, data) => {
      const codec = new EventCodec(limits);
      const text = codec.encodeParts(id, type, data, metadataJson, 1);
      const copy = codec.copyParts(id, type, data, metadataJson, 1);
      expect(copy).toStrictEqual((JSON.parse(text) as EventEnvelope).data);
      if (data !== null && typeof data === 'object')
        expect(copy).not.toBe(data);
    },
  );
});

describe('EventCodec.decode', () => {
  const codec = new EventCodec();
  const wire = (patch: (raw: Record<string, unknown>) => void): string => {
    const raw = JSON.parse(codec.encode(envelope())) as Record<string, unknown>;
    patch(raw);
    return JSON.stringify(raw);
  };
  const metadataOf = (raw: Record<string, unknown>) =>
    raw.metadata as Record<string, unknown>;

  it('accepts what encode produced', () => {
    const input = envelope();
    expect(codec.decode(codec.encode(input))).toEqual({
      ok: true,
      envelope: input,
    });
  });

  it('accepts null data', () => {
    expect(codec.decode(codec.encode(envelope(null))).ok).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    ['invalid JSON', '{"id":', /invalid JSON/],
    ['empty text', '', /invalid JSON/],
    ['a JSON string', '"hello"', /not a JSON object/],
    ['JSON null', 'null', /not a JSON object/],
    ['an array', '[1,2]', /not a JSON object/],
    ['not text', 42, /not text/],
    ['missing id', wire(r => delete r.id), /"id"/],
    ['numeric id', wire(r => (r.id = 7)), /"id"/],
    ['overlong id', wire(r => (r.id = 'x'.repeat(129))), /"id"/],
    ['missing type', wire(r => delete r.type), /"type"/],
    ['invalid type', wire(r => (r.type = 'Photo Uploaded')), /"type"/],
    ['missing data', wire(r => delete r.data), /"data"/],
    ['missing metadata', wire(r => delete r.metadata), /"metadata"/],
    ['null metadata', wire(r => (r.metadata = null)), /"metadata"/],
    [
      'missing source',
      wire(r => delete metadataOf(r).source),
      /"metadata.source"/,
    ],
    [
      'missing traceId',
      wire(r => delete metadataOf(r).traceId),
      /"metadata.traceId"/,
    ],
    [
      'missing timestamp',
      wire(r => delete metadataOf(r).timestamp),
      /"metadata.timestamp"/,
    ],
    [
      'invalid timestamp',
      wire(r => (metadataOf(r).timestamp = 'yesterday')),
      /"metadata.timestamp"/,
    ],
    ['unknown version', wire(r => (r.version = 2)), /"version" is 2/],
    ['missing version', wire(r => delete r.version), /"version"/],
  ])('reports %s without throwing', (_label, payload, reason) => {
    const result = codec.decode(payload as string);
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.reason).toMatch(reason);
  });

  it('checks every timestamp after a valid one was remembered (empty, invalid, another valid)', () => {
    const valid = codec.encode(envelope({ n: 1 }));
    expect(codec.decode(valid).ok).toBe(true);
    expect(codec.decode(valid).ok).toBe(true);
    const withTimestamp = (timestamp: unknown) => {
      const parsed = JSON.parse(valid) as { metadata: { timestamp?: unknown } };
      parsed.metadata.timestamp = timestamp;
      return codec.decode(JSON.stringify(parsed)).ok;
    };
    expect(withTimestamp('')).toBe(false);
    expect(withTimestamp('yesterday')).toBe(false);
    expect(withTimestamp(undefined)).toBe(false);
    expect(withTimestamp(42)).toBe(false);
    expect(withTimestamp('2025-01-01T00:00:00.000Z')).toBe(true);
    expect(codec.decode(valid).ok).toBe(true);
  });

  it('reports a payload over maxEventBytes', () => {
    const small = new EventCodec({ maxDataBytes: 100, maxEventBytes: 300 });
    const payload = codec.encode(envelope({ text: 'x'.repeat(400) }));
    expect(small.decode(payload)).toEqual({
      ok: false,
      reason: 'payload is over maxEventBytes (300)',
    });
  });

  it('measures the payload in bytes', () => {
    const payload = codec.encode(envelope({ text: '房'.repeat(100) }));
    const limit = Buffer.byteLength(payload) - 1;
    expect(payload.length).toBeLessThan(limit);
    expect(
      new EventCodec({ maxDataBytes: limit, maxEventBytes: limit }).decode(
        payload,
      ).ok,
    ).toBe(false);
    expect(
      new EventCodec({ maxDataBytes: limit, maxEventBytes: limit + 1 }).decode(
        payload,
      ).ok,
    ).toBe(true);
  });
});

/** `depth` objects inside one another: { d: { d: … 'bottom' } }. */
function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

describe('EventCodec depth limit (limits.maxDepth)', () => {
  const codec = new EventCodec();

  it('accepts data of exactly 64 levels by default and refuses 65, naming the option', () => {
    expect(() => codec.encode(envelope(nested(64)))).not.toThrow();
    const error = thrown(() => codec.encode(envelope(nested(65))));
    expect(error.field).toBe('data');
    expect(error.limit).toBe(64);
    expect(error.message).toMatch(/nested more than 64 levels/);
    expect(error.message).toMatch(/limits\.maxDepth/);
  });

  it('checks the publish fast path (encodeParts) the same way', () => {
    const { id, type, metadata } = envelope();
    const metadataJson = JSON.stringify(metadata);
    expect(() =>
      codec.encodeParts(id, type, nested(64), metadataJson, 1),
    ).not.toThrow();
    expect(
      thrown(() => codec.encodeParts(id, type, nested(65), metadataJson, 1))
        .message,
    ).toMatch(/limits\.maxDepth/);
  });

  it('applies a configured maxDepth', () => {
    const shallow = new EventCodec({ ...DEFAULT_LIMITS, maxDepth: 2 });
    expect(() =>
      shallow.encode(envelope({ a: [1, 2], b: { c: 'x' } })),
    ).not.toThrow();
    expect(thrown(() => shallow.encode(envelope({ a: [[1]] }))).limit).toBe(2);
  });

  it('reports data too deep for JSON.stringify as too deep, not as a stack overflow', () => {
    const error = thrown(() => codec.encode(envelope(nested(200_000))));
    expect(error.field).toBe('data');
    expect(error.limit).toBe(64);
    expect(error.message).toMatch(/limits\.maxDepth/);
    expect(error.message).not.toMatch(/call stack/);
  });

  it('does not count brackets inside strings', () => {
    const data = { text: '[{'.repeat(500), quoted: 'a "quoted" \\ [[[ ]' };
    expect(JSON.parse(codec.encode(envelope(data)))).toMatchObject({ data });
  });

  it('decodes an envelope whose data is 64 levels deep (the envelope adds one)', () => {
    const input = envelope(nested(64));
    expect(codec.decode(codec.encode(input))).toEqual({
      ok: true,
      envelope: input,
    });
  });

  it.each<[string, number]>([
    ['65 levels', 65],
    ['200,000 levels', 200_000],
  ])('reports data of %s as malformed without throwing', (_label, depth) => {
    const payload = codec
      .encode(envelope('placeholder'))
      .replace(
        '"data":"placeholder"',
        `"data":${'['.repeat(depth)}${']'.repeat(depth)}`,
      );
    const result = codec.decode(payload);
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.reason).toMatch(
      /nested more than 65 levels deep \(limits\.maxDepth is 64/,
    );
  });

  it('counts depth anywhere in a received envelope, metadata included', () => {
    const shallow = new EventCodec({ ...DEFAULT_LIMITS, maxDepth: 1 });
    const payload = codec
      .encode(envelope('x'))
      .replace(
        '"source":"photo-service"',
        '"source":"photo-service","extra":{"a":[]}',
      );
    expect(codec.decode(payload).ok).toBe(true);
    expect(shallow.decode(payload)).toEqual({
      ok: false,
      reason: expect.stringMatching(/more than 2 levels/),
    });
  });
});
