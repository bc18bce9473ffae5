import { describe, expect, it } from '@jest/globals';
import {
  shardChannel,
  shardedPubSubPlan,
  shardOf,
  shardOfChannel,
  shardOfPattern,
  typeIsOfShard,
  typeOfEnvelope,
} from './shard-channels.js';

describe('shard channels', () => {
  it('shards a type by its first segment and a # route by itself', () => {
    expect(shardOf('photo.processing.started')).toBe('photo');
    expect(shardOf('photo')).toBe('photo');
    expect(shardOf('#gateway')).toBe('#gateway');
  });

  it('binds a pattern to its first segment unless that segment is a wildcard', () => {
    expect(shardOfPattern('photo.uploaded')).toBe('photo');
    expect(shardOfPattern('photo.*')).toBe('photo');
    expect(shardOfPattern('photo.**')).toBe('photo');
    expect(shardOfPattern('**')).toBeUndefined();
    expect(shardOfPattern('*.uploaded')).toBeUndefined();
    expect(shardOfPattern('#gateway')).toBe('#gateway');
  });

  it('names the channel with the shard as hash tag, and reads it back', () => {
    expect(shardChannel('eventbus:', 'photo')).toBe('eventbus:{photo}');
    expect(shardOfChannel('eventbus:', 'eventbus:{photo}')).toBe('photo');
    expect(shardOfChannel('eventbus:', 'eventbus:{#gateway}')).toBe('#gateway');
    expect(shardOfChannel('eventbus:', 'eventbus:photo.uploaded')).toBe(
      undefined,
    );
    expect(shardOfChannel('eventbus:', 'other:{photo}')).toBeUndefined();
  });

  it("reads the type from the bus' envelope head, and from other key orders by parsing", () => {
    expect(
      typeOfEnvelope('{"id":"abc","type":"photo.uploaded","data":{}}'),
    ).toBe('photo.uploaded');
    expect(
      typeOfEnvelope('{"data":{"x":1},"type":"photo.shared","id":"a"}'),
    ).toBe('photo.shared');
    expect(typeOfEnvelope('{"id":"a","data":{}}')).toBeUndefined();
    expect(typeOfEnvelope('not json')).toBeUndefined();
  });

  it('accepts a type on its own shard only', () => {
    expect(typeIsOfShard('photo.uploaded', 'photo')).toBe(true);
    expect(typeIsOfShard('photo', 'photo')).toBe(true);
    expect(typeIsOfShard('photos.uploaded', 'photo')).toBe(false);
    expect(typeIsOfShard('user.created', 'photo')).toBe(false);
  });

  it('plans the upgrade steps so that neighbours always hear each other', () => {
    const steps = [false, 'listen-both', 'publish-sharded', true] as const;
    const hears = (sub: number, pub: number) => {
      const p = shardedPubSubPlan(steps[pub]);
      const s = shardedPubSubPlan(steps[sub]);
      return p.publishSharded ? s.listenSharded : s.listenClassic;
    };
    for (let i = 0; i + 1 < steps.length; i++) {
      expect(hears(i, i + 1)).toBe(true);
      expect(hears(i + 1, i)).toBe(true);
    }
    // The two ends do not: that is why the middle steps exist.
    expect(hears(0, 3)).toBe(false);
    expect(hears(3, 0)).toBe(false);
  });
});
