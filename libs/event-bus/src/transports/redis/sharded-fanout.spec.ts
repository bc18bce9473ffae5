import { describe, expect, it } from '@jest/globals';
import { EventBusLogger } from '../../event-bus.logger.js';
import {
  assertShardedSubscribers,
  type RedisClient,
} from './redis-client.factory.js';
import { ShardedFanOut } from './sharded-fanout.js';
import { FRAME_MARKER } from './event-frame.js';

/** A stand-in for the ioredis Cluster: records the shard subscriptions and the registry. */
function fakeRedis(registry: string[] = []) {
  const calls: string[] = [];
  const published: Array<[string, string]> = [];
  const client = {
    status: 'ready',
    ssubscribe: (channel: string) => {
      calls.push(`+${channel}`);
      return Promise.resolve(1);
    },
    sunsubscribe: (channel: string) => {
      calls.push(`-${channel}`);
      return Promise.resolve(0);
    },
    smembers: () => Promise.resolve([...registry]),
    sadd: (_key: string, member: string) => {
      const added = registry.includes(member) ? 0 : 1;
      if (added) registry.push(member);
      return Promise.resolve(added);
    },
    publish: (channel: string, message: string) => {
      published.push([channel, message]);
      return Promise.resolve(1);
    },
  };
  return { client: client as unknown as RedisClient, calls, published };
}

function fanOut(redis: ReturnType<typeof fakeRedis>) {
  const delivered: Array<[string, string, string | undefined]> = [];
  const fan = new ShardedFanOut({
    prefix: 'eventbus:',
    command: () => redis.client,
    subscriber: () => redis.client,
    deliver: (route, payload, _channel, problem) =>
      delivered.push([route, payload, problem]),
    logger: new EventBusLogger('test', 'error'),
  });
  return { fan, delivered };
}

const envelope = (type: string) =>
  `{"id":"x","type":"${type}","data":{},"metadata":{},"version":1}`;

describe('ShardedFanOut', () => {
  it('subscribes a segment once for all its patterns and releases it with the last', async () => {
    const redis = fakeRedis();
    const { fan } = fanOut(redis);
    await fan.add('photo.uploaded');
    await fan.add('photo.*');
    await fan.add('photo.*');
    expect(redis.calls).toEqual(['+eventbus:{photo}']);
    await fan.remove('photo.uploaded');
    expect(redis.calls).toEqual(['+eventbus:{photo}']);
    await fan.remove('photo.*');
    expect(redis.calls).toEqual(['+eventbus:{photo}', '-eventbus:{photo}']);
  });

  it('listens on every registered segment for a leading wildcard, and on each one announced', async () => {
    const redis = fakeRedis(['photo', 'album']);
    const { fan } = fanOut(redis);
    await fan.add('photo.*');
    await fan.add('**');
    expect(redis.calls.sort()).toEqual([
      '+eventbus:{album}',
      '+eventbus:{photo}',
    ]);
    fan.announced('video');
    fan.announced('video');
    await Promise.resolve();
    expect(redis.calls).toContain('+eventbus:{video}');
    expect(redis.calls.filter(c => c === '+eventbus:{video}')).toHaveLength(1);
    // `**` gone: photo stays (photo.* is bound to it), the others go.
    redis.calls.length = 0;
    await fan.remove('**');
    expect(redis.calls.sort()).toEqual([
      '-eventbus:{album}',
      '-eventbus:{video}',
    ]);
  });

  it('registers each segment once per process and announces it when new to Redis', async () => {
    const redis = fakeRedis(['album']);
    const { fan } = fanOut(redis);
    expect(fan.channelOf('photo.uploaded')).toBe('eventbus:{photo}');
    expect(fan.channelOf('photo.shared')).toBe('eventbus:{photo}');
    expect(fan.channelOf('album.created')).toBe('eventbus:{album}');
    expect(fan.channelOf('#gateway')).toBe('eventbus:{#gateway}');
    await new Promise(resolve => setImmediate(resolve));
    expect(redis.published).toEqual([['eventbus#shards', 'photo']]);
  });

  it("hands each event over under its own type, frames too, and reports one that is not of the channel's segment", () => {
    const redis = fakeRedis();
    const { fan, delivered } = fanOut(redis);
    fan.receive('eventbus:{photo}', envelope('photo.uploaded'));
    fan.receive(
      'eventbus:{photo}',
      FRAME_MARKER + envelope('photo.a') + FRAME_MARKER + envelope('photo.b'),
    );
    fan.receive('eventbus:{photo}', envelope('user.created'));
    fan.receive('eventbus:{#gateway}', envelope('user.created'));
    fan.receive('other:{photo}', envelope('photo.uploaded'));
    expect(delivered.map(([route, , problem]) => [route, problem])).toEqual([
      ['photo.uploaded', undefined],
      ['photo.a', undefined],
      ['photo.b', undefined],
      [
        'photo',
        'envelope type "user.created" does not belong on shard channel "eventbus:{photo}"',
      ],
      ['#gateway', undefined],
    ]);
  });

  it('refuses an ioredis whose Cluster has no sharded subscribers, naming the option', () => {
    class OldCluster {
      disconnect(): void {}
    }
    expect(() =>
      assertShardedSubscribers({ Cluster: OldCluster } as never),
    ).toThrow(
      /redis\.cluster\.shardedPubSub" needs ioredis with sharded subscribers/,
    );
  });
});
