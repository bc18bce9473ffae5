import { describe, expect, it } from '@jest/globals';
import { GapCounter, PublisherSequence } from './publisher-sequence.js';

describe('PublisherSequence', () => {
  it('numbers each type from 1, and takes back a number only while it is the last', () => {
    const sequence = new PublisherSequence();
    expect(sequence.id).toMatch(/^[0-9a-f]{16}$/);
    expect([
      sequence.take('a'),
      sequence.take('a'),
      sequence.take('b'),
    ]).toEqual([1, 2, 1]);
    sequence.giveBack('a', 2);
    expect(sequence.take('a')).toBe(2);
    sequence.giveBack('a', 1); // not the last: ignored
    expect(sequence.take('a')).toBe(3);
  });

  it('starts over under a new id past 10,000 types, so no number ever goes back under one id', () => {
    const sequence = new PublisherSequence();
    const first = sequence.id;
    for (let n = 0; n < 10_000; n++) sequence.take(`t${n}`);
    expect(sequence.id).toBe(first);
    expect(sequence.take('t0')).toBe(2);
    expect(sequence.take('fresh')).toBe(1);
    expect(sequence.id).not.toBe(first);
  });
});

describe('GapCounter', () => {
  const publisher = 'aaaaaaaaaaaaaaaa';

  it('counts a jump exactly, per publisher and type', () => {
    const gaps = new GapCounter();
    expect(gaps.observe('a', publisher, 1)).toBe(0);
    expect(gaps.observe('a', publisher, 2)).toBe(0);
    expect(gaps.observe('a', publisher, 7)).toBe(4);
    expect(gaps.observe('b', publisher, 5)).toBe(0); // first heard: no baseline
    expect(gaps.observe('a', 'bbbbbbbbbbbbbbbb', 9)).toBe(0);
    expect(gaps.observe('a', publisher, 8)).toBe(0);
  });

  it('counts nothing for duplicates, numbers going back, foreign or hostile metadata', () => {
    const gaps = new GapCounter();
    gaps.observe('a', publisher, 5);
    expect(gaps.observe('a', publisher, 5)).toBe(0);
    expect(gaps.observe('a', publisher, 3)).toBe(0);
    expect(gaps.observe('a', publisher, 6)).toBe(0);
    for (const [id, seq] of [
      [undefined, 9],
      [publisher, '9'],
      [publisher, 1.5],
      [publisher, -1],
      [publisher, Number.MAX_VALUE],
      ['not-hex', 9],
      [{}, 9],
    ] as const) {
      expect(gaps.observe('a', id, seq)).toBe(0);
    }
    expect(gaps.observe('a', publisher, 7)).toBe(0);
  });

  it('forgets on reset, and holds at most 1024 publishers', () => {
    const gaps = new GapCounter();
    gaps.observe('a', publisher, 1);
    gaps.reset();
    expect(gaps.observe('a', publisher, 10)).toBe(0);
    for (let n = 0; n < 1024; n++)
      gaps.observe('a', n.toString(16).padStart(16, '0'), 1);
    expect(gaps.observe('a', publisher, 20)).toBe(0); // forgotten: a new baseline
  });
});
