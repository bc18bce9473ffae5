import { describe, expect, it } from '@jest/globals';
import { EventCodec } from '../../envelope/event-codec.js';
import {
  encodeFrame,
  FRAME_MARKER,
  FrameWriter,
  isFrame,
  readFrame,
} from './event-frame.js';

const codec = new EventCodec();
const envelope = (n: number, data: unknown = { n }): string =>
  codec.encodeParts(
    `id-${n}`,
    'photo.uploaded',
    data,
    '{"source":"s","timestamp":"2026-12-06T00:00:00.000Z","traceId":"t"}',
    1,
  );

describe('event frames', () => {
  it('round-trips envelopes in order, byte for byte', () => {
    const payloads = [1, 2, 3].map(n => envelope(n));
    const frame = encodeFrame(payloads).toString();
    expect(isFrame(frame)).toBe(true);
    expect(readFrame(frame)).toEqual({ events: payloads });
  });

  it('keeps data that holds the marker, escaped by JSON, and any other text intact', () => {
    const tricky = [
      envelope(1, { text: `a${FRAME_MARKER}b`, nested: [FRAME_MARKER] }),
      envelope(2, { text: 'émoji 📷 \n "quotes" \\ \u0000' }),
    ];
    // JSON writes control characters as \u escapes: the raw marker never appears inside an envelope.
    for (const payload of tricky) expect(payload).not.toContain(FRAME_MARKER);
    const { events, problem } = readFrame(encodeFrame(tricky).toString());
    expect(problem).toBeUndefined();
    expect(events.map(e => codec.decode(e))).toEqual(
      tricky.map(e => ({ ok: true, envelope: JSON.parse(e) })),
    );
  });

  it('keeps a small frame as a string, and moves a large one into a Buffer: the same bytes', () => {
    const payloads = [
      envelope(1, { t: 'é📷'.repeat(3000) }),
      ...[2, 3, 4, 5].map(n => envelope(n)),
    ];
    const bytes = payloads.reduce(
      (sum, p) => sum + Buffer.byteLength(p) + 1,
      0,
    );
    const small = encodeFrame(payloads);
    expect(typeof small).toBe('string');
    // A limit below 3 bytes per UTF-16 unit: the writer counts bytes, in a Buffer.
    const large = encodeFrame(payloads, bytes) as Buffer;
    expect(Buffer.isBuffer(large)).toBe(true);
    expect(large.length).toBe(bytes);
    expect(large.equals(Buffer.from(small))).toBe(true);
    expect(readFrame(large.toString('utf8')).events).toEqual(payloads);
  });

  it('keeps a lone envelope as it is', () => {
    expect(encodeFrame([envelope(1)])).toBe(envelope(1));
  });

  it('FrameWriter stops at maxBytes, exactly, and a first envelope over it stays alone', () => {
    const writer = new FrameWriter(10);
    expect(writer.add('aaaa')).toBe(true);
    expect(writer.add('bbbb')).toBe(true); // 2 x (marker + 4) = 10 bytes
    expect(writer.add('c')).toBe(false);
    expect(writer.count).toBe(2);
    expect(writer.finish().toString()).toBe(
      `${FRAME_MARKER}aaaa${FRAME_MARKER}bbbb`,
    );
    // 'éé' is 4 bytes: 1 + 4 + 1 + 4 = 10 fits, though the 3-bytes-per-unit bound says 14.
    const exact = new FrameWriter(10);
    exact.add('éé');
    expect(exact.add('éé')).toBe(true);
    const big = new FrameWriter(10);
    big.add('x'.repeat(20));
    expect(big.add('y')).toBe(false);
    expect(big.finish()).toBe('x'.repeat(20));
  });

  it('tells no JSON text for a frame: the marker is not JSON whitespace', () => {
    for (const text of [
      envelope(1),
      ' {"a":1}',
      '\n{}',
      '\t[1]',
      '"x"',
      '1',
      '',
    ])
      expect(isFrame(text)).toBe(false);
    expect(() => JSON.parse(`${FRAME_MARKER}{}`)).toThrow(SyntaxError);
  });

  it('reports a frame with no event, or with empty records, and keeps the sound ones', () => {
    expect(readFrame(FRAME_MARKER)).toEqual({
      events: [],
      problem: expect.stringContaining('holds no event'),
    });
    const sound = envelope(1);
    expect(
      readFrame(`${FRAME_MARKER}${sound}${FRAME_MARKER}${FRAME_MARKER}`),
    ).toEqual({
      events: [sound],
      problem: expect.stringContaining('2 empty records of 3'),
    });
  });

  it('hands a record that is not an envelope on as it is, for the codec to refuse', () => {
    const { events, problem } = readFrame(
      `${FRAME_MARKER}not json${FRAME_MARKER}${envelope(2)}`,
    );
    expect(problem).toBeUndefined();
    expect(events[0]).toBe('not json');
    expect(codec.decode(events[0]).ok).toBe(false);
    expect(codec.decode(events[1]).ok).toBe(true);
  });
});
