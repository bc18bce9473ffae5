import { reportAsync } from './report-async.js';

/**
 * A value that can be watched: `subscribe` calls the listener with the current
 * value at once and again on every change.
 *
 * @publicApi
 */
export interface ReadonlyObservableValue<T> {
  readonly value: T;
  /** Calls `listener(value)` now and on every change; returns the unsubscribe function. */
  subscribe(listener: (value: T) => void): () => void;
}

/** The writable side, kept inside the client. */
export class ObservableValue<T> implements ReadonlyObservableValue<T> {
  private current: T;
  private readonly listeners = new Set<(value: T) => void>();

  constructor(initial: T) {
    this.current = initial;
  }

  get value(): T {
    return this.current;
  }

  subscribe(listener: (value: T) => void): () => void {
    // A wrapper per call, so the same function subscribed twice is called twice and unsubscribes once.
    const entry = (value: T) => listener(value);
    this.listeners.add(entry);
    call(entry, this.current);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Sets the value; listeners run only when it changed. */
  set(value: T): void {
    if (Object.is(value, this.current)) return;
    this.current = value;
    for (const listener of [...this.listeners]) call(listener, value);
  }
}

function call<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    reportAsync(error);
  }
}
