/**
 * What the cluster bench's children share: the bus options on the cluster the
 * runner started (BENCH_CLUSTER: its nodes as JSON; BENCH_SHARDED=true for
 * `redis.cluster.shardedPubSub`), and the event types, one per first segment
 * so that sharded pub/sub can spread them over the masters.
 */
import type { DynamicModule } from '@nestjs/common';
import {
  EventBusModule,
  type EventBusModuleOptions,
} from '@shared-infra/event-bus';

/**
 * Six first segments whose hash slots put two on each master of a 3-master
 * cluster made by `redis-cli --cluster create` (slots 0-5460, 5461-10922,
 * 10923-16383): video and client, album and task, photo and chat.
 */
export const SEGMENTS = ['photo', 'album', 'video', 'chat', 'task', 'client'];
export const TYPES = SEGMENTS.map(segment => `${segment}.tick`);

export function clusterRedisOptions(): NonNullable<
  EventBusModuleOptions['redis']
> {
  const nodes = process.env.BENCH_CLUSTER;
  if (!nodes) throw new Error('BENCH_CLUSTER (the nodes as JSON) is not set');
  return {
    cluster: {
      nodes: JSON.parse(nodes) as Array<{ host: string; port: number }>,
      shardedPubSub: process.env.BENCH_SHARDED === 'true',
    },
  };
}

export function clusterBusModule(serviceName: string): DynamicModule {
  return EventBusModule.forRoot({
    serviceName,
    transport: 'redis',
    redis: clusterRedisOptions(),
    logLevel: 'warn',
  });
}
