import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  type EventBusModuleOptions,
} from '@shared-infra/event-bus';

/**
 * A Nest application context holding only EventBusModule on the Redis at `url`
 * (in this test process): the publisher or probe most e2e suites need.
 */
export async function startBusApp(
  url: string,
  options: Partial<EventBusModuleOptions> = {},
): Promise<INestApplicationContext> {
  const { redis, ...rest } = options;
  const moduleRef = await Test.createTestingModule({
    imports: [
      EventBusModule.forRoot({
        serviceName: 'e2e',
        transport: 'redis',
        logLevel: 'error',
        ...rest,
        redis: { url, ...redis },
      }),
    ],
  }).compile();
  return moduleRef.init();
}
