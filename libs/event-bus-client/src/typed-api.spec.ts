/**
 * Compile-time checks of the client's typing by `EventMap` (`npm run lint`
 * type-checks this file: every `@ts-expect-error` must still be an error).
 * The spec brings its own event, so it checks the client without the demo.
 */
import type { EventBusClient } from './interfaces.js';

declare module './protocol.js' {
  interface EventMap {
    'client-spec.progress': { jobId: string; progress: number };
  }
}

export function typedUse(client: EventBusClient): void {
  client.on('client-spec.progress', event => {
    const progress: number = event.data.progress;
    const room: string = event.room;
    return [progress, room];
  });
  client.on('client-spec.progress', event => {
    // @ts-expect-error progress is a number in the spec's event
    const progress: string = event.data.progress;
    return progress;
  });
  void client.publish('client-spec.progress', { jobId: 'j', progress: 50 });
  // @ts-expect-error progress must be a number
  void client.publish('client-spec.progress', { jobId: 'j', progress: 'half' });
  // @ts-expect-error jobId is required
  void client.publish('client-spec.progress', { progress: 50 });
  // Types outside the map take any data.
  client.on('chat.message', event => event.data);
  void client.publish('chat.message', { text: 'hi' });
}

describe('client typing', () => {
  it('is checked at compile time (see the file)', () => {
    expect(typeof typedUse).toBe('function');
  });
});
