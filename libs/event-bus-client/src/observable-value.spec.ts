import { jest } from '@jest/globals';
import { ObservableValue } from './observable-value.js';

describe('ObservableValue', () => {
  it('calls a listener with the current value at once, then on every change', () => {
    const value = new ObservableValue('connecting');
    const seen: string[] = [];
    const off = value.subscribe(v => seen.push(v));
    value.set('connected');
    value.set('connected'); // no change, no call
    value.set('disconnected');
    off();
    value.set('recovering');
    expect(seen).toEqual(['connecting', 'connected', 'disconnected']);
    expect(value.value).toBe('recovering');
  });

  it('a throwing listener does not stop the others; its error is rethrown asynchronously', async () => {
    jest.useFakeTimers();
    try {
      const value = new ObservableValue(0);
      const seen: number[] = [];
      value.subscribe(v => {
        if (v === 1) throw new Error('boom');
      });
      value.subscribe(v => seen.push(v));
      value.set(1);
      expect(seen).toEqual([0, 1]);
      expect(() => jest.runOnlyPendingTimers()).toThrow('boom');
    } finally {
      jest.useRealTimers();
    }
  });
});
