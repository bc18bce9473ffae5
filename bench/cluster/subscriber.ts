/**
 * Subscriber child of the cluster bench: the bus on the cluster with one
 * handler per segment (`photo.*`, `album.*`, …), counting every event.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBusService, type EventEnvelope } from '@shared-infra/event-bus';
import type { StampedData } from '../fanout/payload.js';
import { DeliveryCounter, runSubscriber } from '../fanout/subscriber-common.js';
import { fail } from '../lib/ipc.js';
import { clusterBusModule, SEGMENTS } from './common.js';

const counter = new DeliveryCounter();

@Module({ imports: [clusterBusModule('bench-cluster-subscriber')] })
class SubscriberModule {}

runSubscriber(counter, async () => {
  const app = await NestFactory.createApplicationContext(SubscriberModule, {
    logger: ['error', 'warn'],
  });
  const bus = app.get(EventBusService);
  const onEvent = (event: EventEnvelope<string, StampedData>): void => {
    if (counter.needsSample)
      counter.sample(Buffer.byteLength(JSON.stringify(event)));
    if (event.data.seq !== undefined) counter.hit(event.data.sentAt);
  };
  for (const segment of SEGMENTS)
    await bus.subscribe(`${segment}.*`, onEvent as never);
  return () => app.close();
}).catch(fail);
