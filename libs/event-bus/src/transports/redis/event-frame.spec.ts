import { describe, expect, it } from '@jest/globals';
import { EventCodec } from '../../envelope/event-codec.js';
import {
  encodeFrame,
  FRAME_MARKER,
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

  it('counts the bytes of non-ASCII envelopes itself, or takes the count given', () => {
    const payloads = [envelope(1, { t: 'é📷' }), envelope(2)];
    const frame = encodeFrame(payloads);
    expect(frame.length).toBe(
      Buffer.byteLength(payloads[0]) + Buffer.byteLength(payloads[1]) + 2,
    );
    expect(encodeFrame(payloads, frame.length).equals(frame)).toBe(true);
    expect(readFrame(frame.toString('utf8')).events).toEqual(payloads);
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
