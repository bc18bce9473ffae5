/**
 * Publisher child of the cluster bench: the bus on the cluster. BENCH_TARGET
 * `bus` publishes event `seq` as `TYPES[seq % 6]` (fan-out); `room` publishes
 * it to the gateway bench's room with `publishToRoom` (its data carries the
 * phase and send time the clients child counts by).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBusService } from '@shared-infra/event-bus';
import { makeStampedData } from '../fanout/payload.js';
import { runPublisher } from '../fanout/publisher-common.js';
import { EVENT_TYPE, makeEventData, ROOM } from '../gateway/common.js';
import { fail, now } from '../lib/ipc.js';
import { clusterBusModule, TYPES } from './common.js';

@Module({ imports: [clusterBusModule('bench-cluster-publisher')] })
class PublisherModule {}

runPublisher(async () => {
  const app = await NestFactory.createApplicationContext(PublisherModule, {
    logger: ['error', 'warn'],
  });
  const bus = app.get(EventBusService);
  const room = process.env.BENCH_TARGET === 'room';
  return {
    publish: room
      ? seq =>
          bus.publishToRoom(
            ROOM,
            EVENT_TYPE,
            makeEventData(1, 0, seq, now()) as never,
          )
      : seq => bus.publish(TYPES[seq % TYPES.length], makeStampedData(seq)),
    close: () => app.close(),
  };
}).catch(fail);
