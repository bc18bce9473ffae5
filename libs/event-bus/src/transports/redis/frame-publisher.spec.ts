import { describe, expect, it } from '@jest/globals';
import { FRAME_MARKER, readFrame } from './event-frame.js';
import { FramePublisher } from './frame-publisher.js';

interface Sent {
  channel: string;
  message: string | Buffer;
  resolve(receivers: number): void;
  reject(error: Error): void;
}

function publisher(limits: {
  maxEvents?: number;
  maxBytes?: number;
  maxDelayMs?: number;
}) {
  const sent: Sent[] = [];
  const frames = new FramePublisher(
    { maxEvents: 256, maxBytes: 65_536, maxDelayMs: 0, ...limits },
    (channel: string, message: string | Buffer) =>
      new Promise<number>((resolve, reject) =>
        sent.push({ channel, message, resolve, reject }),
      ),
  );
  return { frames, sent };
}

const tick = () => new Promise(resolve => setImmediate(resolve));
const eventsOf = (message: string | Buffer) => {
  const text = message.toString();
  return text.startsWith(FRAME_MARKER) ? readFrame(text).events : [text];
};

describe('FramePublisher', () => {
  it('sends the events of one tick on one channel as one frame, at the end of the tick', async () => {
    const { frames, sent } = publisher({});
    frames.publish('c', 'a');
    frames.publish('c', 'b');
    expect(sent).toHaveLength(0);
    await tick();
    expect(sent.map(s => [s.channel, eventsOf(s.message)])).toEqual([
      ['c', ['a', 'b']],
    ]);
  });

  it('sends a lone event as itself, unframed', async () => {
    const { frames, sent } = publisher({});
    frames.publish('c', '{"x":1}');
    await tick();
    // The very string published: no copy into a Buffer for a lone event.
    expect(sent.map(s => s.message)).toEqual(['{"x":1}']);
  });

  it('keeps one frame per channel, sent in the order they were opened', async () => {
    const { frames, sent } = publisher({});
    for (const [channel, payload] of [
      ['b', '1'],
      ['a', '2'],
      ['b', '3'],
    ])
      frames.publish(channel, payload);
    await tick();
    expect(sent.map(s => [s.channel, eventsOf(s.message)])).toEqual([
      ['b', ['1', '3']],
      ['a', ['2']],
    ]);
  });

  it('sends a frame when the next event would pass maxEvents or maxBytes', () => {
    const byCount = publisher({ maxEvents: 2 });
    for (const p of ['1', '2', '3']) byCount.frames.publish('c', p);
    expect(byCount.sent.map(s => eventsOf(s.message))).toEqual([['1', '2']]);

    // 4 bytes per event with its marker: two fit in 8, the third starts a new frame.
    const bySize = publisher({ maxBytes: 8 });
    for (const p of ['aaa', 'bbb', 'ccc']) bySize.frames.publish('c', p);
    expect(bySize.sent.map(s => eventsOf(s.message))).toEqual([['aaa', 'bbb']]);
  });

  it('with maxDelayMs, waits that long for more events', async () => {
    const { frames, sent } = publisher({ maxDelayMs: 5 });
    frames.publish('c', '1');
    await tick();
    frames.publish('c', '2');
    expect(sent).toHaveLength(0);
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(sent.map(s => eventsOf(s.message))).toEqual([['1', '2']]);
  });

  it("answers every event of a frame with the frame's result: its receiver count or its error", async () => {
    const { frames, sent } = publisher({});
    const ok = [frames.publish('c', '1'), frames.publish('c', '2')];
    const failing = [frames.publish('d', '3'), frames.publish('d', '4')];
    frames.flush();
    sent[0].resolve(2);
    sent[1].reject(new Error('NOPERM'));
    await expect(Promise.all(ok)).resolves.toEqual([2, 2]);
    for (const p of failing) await expect(p).rejects.toThrow('NOPERM');
  });

  it('rejects the events of a frame whose send throws', async () => {
    const frames = new FramePublisher(
      { maxEvents: 256, maxBytes: 65_536, maxDelayMs: 0 },
      () => {
        throw new Error('closed');
      },
    );
    const p = frames.publish('c', '1');
    frames.flush();
    await expect(p).rejects.toThrow('closed');
  });

  it('flush sends what is open at once, and the deadline then sends nothing more', async () => {
    const { frames, sent } = publisher({});
    frames.publish('c', '1');
    frames.flush();
    expect(sent).toHaveLength(1);
    await tick();
    expect(sent).toHaveLength(1);
  });
});
