/**
 * Compile-time checks of EventMap inferred from schemas: `npm run lint` (tsc) and
 * `npm run build` compile this file, and every `@ts-expect-error` below must still
 * be an error or they fail. zod, valibot, a DTO class and a hand-written Standard
 * Schema side by side, as an app would declare them.
 */
import {
  defineEvents,
  type EventBusService,
  type EventOf,
  type InferEventData,
  type InferEvents,
  type StandardSchemaV1,
} from '@shared-infra/event-bus';
import { IsInt } from 'class-validator';
import * as v from 'valibot';
import { z } from 'zod';

class ItemCountedDto {
  @IsInt()
  count!: number;
}

const handWritten: StandardSchemaV1<unknown, { ok: boolean }> = {
  '~standard': {
    version: 1,
    vendor: 'hand',
    validate: value => ({ value: { ok: Boolean(value) } }),
  },
};

export const typedSchemas = defineEvents({
  'typed.order.created': z.object({
    orderId: z.string(),
    total: z.number(),
    // Input optional, output always there: EventMap takes the output.
    currency: z.string().default('EUR'),
  }),
  'typed.user.renamed': v.object({ userId: v.string(), name: v.string() }),
  'typed.item.counted': ItemCountedDto,
  'typed.hand.checked': handWritten,
});

declare module '@shared-infra/event-bus' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the schemas' entries merge into the map
  interface EventMap extends InferEvents<typeof typedSchemas> {}
}

// @ts-expect-error a value that is no schema
defineEvents({ 'typed.bad': 42 });

// The input of a schema with a default leaves the field out; the EventMap entry (the output) has it.
export const orderInput: StandardSchemaV1.InferInput<
  (typeof typedSchemas)['typed.order.created']
> = { orderId: 'o1', total: 10 };

const renamed: InferEventData<(typeof typedSchemas)['typed.user.renamed']> = {
  userId: 'u1',
  name: 'Ada',
};

export async function inferredPublishes(bus: EventBusService): Promise<void> {
  await bus.publish('typed.order.created', {
    orderId: 'o1',
    total: 10,
    currency: 'EUR',
  });
  // @ts-expect-error total must be a number
  await bus.publish('typed.order.created', { orderId: 'o1', total: '10' });
  // @ts-expect-error orderId is required
  await bus.publish('typed.order.created', { total: 10, currency: 'EUR' });
  // @ts-expect-error currency is in the output type, which EventMap holds
  await bus.publish('typed.order.created', orderInput);
  await bus.publish('typed.user.renamed', renamed);
  // @ts-expect-error name is required by the valibot schema
  await bus.publish('typed.user.renamed', { userId: 'u1' });
  await bus.publish('typed.item.counted', { count: 3 });
  // @ts-expect-error count is a number on the DTO
  await bus.publish('typed.item.counted', { count: 'three' });
  await bus.publish('typed.hand.checked', { ok: true });
  await bus.subscribe('typed.order.created', event => {
    const currency: string = event.data.currency;
    // @ts-expect-error no such field in the zod schema
    void event.data.missing;
    return currency;
  });
}

export function inferredHandler(event: EventOf<'typed.user.renamed'>): string {
  // @ts-expect-error name is a string
  const name: number = event.data.name;
  return event.data.userId + name;
}
