/**
 * Compile-time checks of the typed API: `npm run build` compiles this file, and
 * every `@ts-expect-error` below must still be an error or the build fails.
 */
import type { EventBusService, EventOf } from '@shared-infra/event-bus';

declare module '@shared-infra/event-bus' {
  interface EventMap {
    'order.created': { orderId: string; total: number };
  }
}

export async function typedPublishes(bus: EventBusService): Promise<void> {
  await bus.publish('order.created', { orderId: 'o1', total: 10 });
  // @ts-expect-error total must be a number
  await bus.publish('order.created', { orderId: 'o1', total: '10' });
  // @ts-expect-error orderId is required
  await bus.publish('order.created', { total: 10 });
  await bus.publish('photo.processing.progress', {
    photoId: 'p',
    userId: 'u',
    jobId: 'j',
    progress: 50,
    stage: 'resize',
  });
  await bus.publish('photo.processing.progress', {
    photoId: 'p',
    userId: 'u',
    jobId: 'j',
    // @ts-expect-error progress is a number in the shipped photo events
    progress: 'half',
    stage: 'resize',
  });
  // Types outside the map take any data.
  await bus.publish('custom.thing', { anything: true });
  await bus.publishToUser('u1', 'notification.new', {
    type: 't',
    title: 'T',
    message: 'm',
    timestamp: '',
  });
  await bus.subscribe('order.created', event => {
    const total: number = event.data.total;
    // @ts-expect-error no such field on order.created
    void event.data.missing;
    return total;
  });
}

export function typedHandler(event: EventOf<'photo.uploaded'>): string {
  const mime: string = event.data.mimeType;
  // @ts-expect-error size is a number
  const size: string = event.data.size;
  return mime + size;
}
