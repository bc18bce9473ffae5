/**
 * Compile-time checks of the client's typing by `EventMap` (`npm run lint`
 * type-checks this file: every `@ts-expect-error` must still be an error).
 */
import type { EventBusClient } from './interfaces.js';

export function typedUse(client: EventBusClient): void {
  client.on('photo.processing.progress', event => {
    const progress: number = event.data.progress;
    const room: string = event.room;
    return [progress, room];
  });
  client.on('photo.processing.progress', event => {
    // @ts-expect-error progress is a number in the shipped photo events
    const progress: string = event.data.progress;
    return progress;
  });
  void client.publish('photo.processing.progress', {
    photoId: 'p',
    userId: 'u',
    jobId: 'j',
    progress: 50,
    stage: 'resize',
  });
  void client.publish('photo.processing.progress', {
    photoId: 'p',
    userId: 'u',
    jobId: 'j',
    // @ts-expect-error progress must be a number
    progress: 'half',
    stage: 'resize',
  });
  // Types outside the map take any data.
  client.on('chat.message', event => event.data);
  void client.publish('chat.message', { text: 'hi' });
}

describe('client typing', () => {
  it('is checked at compile time (see the file)', () => {
    expect(typeof typedUse).toBe('function');
  });
});
