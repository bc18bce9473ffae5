import { describe, expect, it } from '@jest/globals';
import { EventBusUnavailableError } from '../../errors/event-bus-unavailable.error.js';
import { OutageBuffer } from './outage-buffer.js';

describe('OutageBuffer', () => {
  it('admits publishes up to the count, then refuses until one is released', () => {
    const buffer = new OutageBuffer(2, 1_000);
    const first = buffer.admit('a');
    buffer.admit('b');
    expect(() => buffer.admit('c')).toThrow(EventBusUnavailableError);
    first();
    expect(() => buffer.admit('c')).not.toThrow();
  });

  it('counts payload bytes (UTF-8), and refuses a publish that would pass the byte bound', () => {
    const buffer = new OutageBuffer(100, 10);
    buffer.admit('ééé'); // 6 bytes
    expect(() => buffer.admit('abcde')).toThrow(/buffer/i);
    expect(() => buffer.admit('abcd')).not.toThrow();
  });

  it('counts a publish out once, however often its release is called', () => {
    const buffer = new OutageBuffer(1, 1_000);
    const release = buffer.admit('a');
    release();
    release();
    buffer.admit('b');
    expect(() => buffer.admit('c')).toThrow(EventBusUnavailableError);
  });
});
