/**
 * Redis' work per event, for the capacity model (README, Scaling out):
 * `npm run bench:capacity` (`--events=N`, default 20,000).
 *
 * One process, one throwaway redis-server, a publishing bus and a consuming
 * bus (two Nest application contexts on the same Redis). For each way of
 * publishing it sends `events` events of 1 KB, waits until the handler has
 * seen each one (a durable handler: until it has acked each one), and reads
 * Redis' own counters before and after: commands by name (`INFO
 * commandstats`), bytes in and out (`INFO stats`), CPU (`INFO cpu`). Divided
 * by the events, that is what each event costs Redis, whatever the speed of
 * this machine: the figures the capacity model multiplies.
 *
 * "burst" publishes 100 events per tick (a busy service: ticks batched into
 * one script call), "trickle" one per tick (a quiet one: plain PUBLISH).
 * Writes bench/results/capacity.json.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  EventBusModule,
  EventBusService,
  type EventBusModuleOptions,
} from '@shared-infra/event-bus';
import type { Redis } from 'ioredis';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setImmediate as nextTick } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { makeData } from '../fanout/payload.js';
import { intFlag } from '../lib/flags.js';
import { benchLifecycle, redisCpuUs } from '../lib/redis-admin.js';
import { fmt, round, table } from '../lib/stats.js';

const EVENTS = intFlag('events', 20_000);
const log = (line: string): void => {
  process.stdout.write(`[capacity] ${line}\n`);
};

interface Mode {
  name: string;
  /** What the mode stands for, in the report. */
  what: string;
  publisher?: Partial<EventBusModuleOptions['redis']>;
  durable?: boolean;
  perTick: number;
  room?: boolean;
  /** Consuming instances, each with the handler (fan-out: each gets every event). @default 1 */
  consumers?: number;
}

const MODES: Mode[] = [
  {
    name: 'fan-out, burst',
    what: 'publish() → @OnEvent, 100 per tick (one EVAL per tick)',
    perTick: 100,
  },
  {
    name: 'fan-out, burst, 4 consumers',
    what: 'as "fan-out, burst", heard by 4 instances: what each more subscriber costs Redis',
    perTick: 100,
    consumers: 4,
  },
  {
    name: 'fan-out, trickle',
    what: 'publish() → @OnEvent, one per tick (plain PUBLISH)',
    perTick: 1,
  },
  {
    name: 'fan-out, frames',
    what: '`redis.frames: true`, 100 per tick (one message per tick)',
    publisher: { frames: true },
    perTick: 100,
  },
  {
    name: 'durable, burst',
    what: '@OnEvent({ durable: true }), 100 per tick (XADD + PUBLISH, XREADGROUP, XACK)',
    durable: true,
    perTick: 100,
  },
  {
    name: 'room, burst',
    what: 'publishToRoom() with room history, 100 per tick (history XADD, PUBLISH to the type and the gateways)',
    room: true,
    perTick: 100,
  },
];

interface Counters {
  calls: Map<string, number>;
  netIn: number;
  netOut: number;
  cpuUs: number;
}

async function counters(admin: Redis): Promise<Counters> {
  const stats = await admin.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(match[1], Number(match[2]));
  const net = await admin.info('stats');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(net)?.[1] ?? NaN);
  return {
    calls,
    netIn: field('total_net_input_bytes'),
    netOut: field('total_net_output_bytes'),
    cpuUs: await redisCpuUs(admin),
  };
}

/** A bus of its own on the bench's Redis. */
async function startBus(
  url: string,
  serviceName: string,
  redis: Partial<EventBusModuleOptions['redis']> = {},
  providers: DynamicModule['providers'] = [],
): Promise<{ bus: EventBusService; close(): Promise<void> }> {
  @Module({})
  class CapacityModule {
    static register(): DynamicModule {
      return {
        module: CapacityModule,
        imports: [
          EventBusModule.forRoot({
            serviceName,
            transport: 'redis',
            logLevel: 'warn',
            redis: { url, ...redis },
          }),
        ],
        providers,
      };
    }
  }
  const app = await NestFactory.createApplicationContext(
    CapacityModule.register(),
    { logger: ['error', 'warn'] },
  );
  return { bus: app.get(EventBusService), close: () => app.close() };
}

async function runMode(
  url: string,
  admin: Redis,
  mode: Mode,
  index: number,
): Promise<Record<string, unknown>> {
  const type = `capacity.mode${index}`;
  let handled = 0;
  const consumerCount = mode.consumers ?? 1;
  const consumers = [];
  for (let c = 0; c < consumerCount; c++) {
    const consumer = await startBus(url, `capacity-consumer-${index}-${c}`);
    await consumer.bus.subscribe(
      type,
      () => {
        handled++;
      },
      mode.durable ? { durable: true, name: `capacity-${index}` } : {},
    );
    consumers.push(consumer);
  }
  const expected = EVENTS * consumerCount;
  const publisher = await startBus(
    url,
    `capacity-publisher-${index}`,
    mode.publisher,
  );
  // Warm-up outside the count: connections, scripts loaded, the durable group made.
  await publisher.bus.publish(type, makeData(0));
  while (handled < consumerCount) await nextTick();
  handled = 0;
  await new Promise(r => setTimeout(r, 200));

  const before = await counters(admin);
  const t0 = performance.now();
  for (let sent = 0; sent < EVENTS;) {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < mode.perTick && sent < EVENTS; i++, sent++)
      batch.push(
        mode.room
          ? publisher.bus.publishToRoom(
              `room-${sent % 50}`,
              type,
              makeData(sent),
            )
          : publisher.bus.publish(type, makeData(sent)),
      );
    await Promise.all(batch);
  }
  while (handled < expected) await nextTick();
  // Durable: the acks of the last batch leave after the handler calls.
  if (mode.durable) await new Promise(r => setTimeout(r, 300));
  const seconds = (performance.now() - t0) / 1000;
  const after = await counters(admin);

  const perEvent: Record<string, number> = {};
  let total = 0;
  for (const [command, calls] of after.calls) {
    const delta = calls - (before.calls.get(command) ?? 0);
    // INFO itself, and the commands of the measuring connection, are not the bus'.
    if (delta <= 0 || command === 'info') continue;
    perEvent[command] = round(delta / EVENTS, 4);
    total += delta;
  }
  await publisher.close();
  for (const consumer of consumers) await consumer.close();
  const result = {
    mode: mode.name,
    what: mode.what,
    events: EVENTS,
    consumers: consumerCount,
    seconds: round(seconds, 2),
    commandsPerEvent: round(total / EVENTS, 4),
    commands: perEvent,
    bytesInPerEvent: round((after.netIn - before.netIn) / EVENTS, 0),
    bytesOutPerEvent: round((after.netOut - before.netOut) / EVENTS, 0),
    redisCpuUsPerEvent: round((after.cpuUs - before.cpuUs) / EVENTS, 2),
  };
  log(
    `${mode.name}: ${fmt(result.commandsPerEvent, 3)} commands, ${fmt(result.bytesInPerEvent)} B in, ${fmt(result.bytesOutPerEvent)} B out, ${fmt(result.redisCpuUsPerEvent, 2)} µs Redis CPU per event (${fmt(seconds, 1)} s)`,
  );
  return result;
}

async function main(): Promise<void> {
  const lifecycle = benchLifecycle(log);
  const { url, admin, machine } = await lifecycle.startRedis();
  const results: Record<string, unknown>[] = [];
  try {
    for (const [index, mode] of MODES.entries()) {
      log(`${index + 1}/${MODES.length} ${mode.name}: ${fmt(EVENTS)} events`);
      results.push(await runMode(url, admin, mode, index));
    }
  } finally {
    await lifecycle.stop();
  }
  process.stdout.write(
    '\n' +
      table(
        [
          'mode',
          'commands / event',
          'by command',
          'bytes in / out',
          'Redis CPU µs',
        ],
        results.map(r => [
          String(r.mode),
          fmt(r.commandsPerEvent as number, 3),
          Object.entries(r.commands as Record<string, number>)
            .map(([c, n]) => `${c} ${fmt(n, 3)}`)
            .join(', '),
          `${fmt(r.bytesInPerEvent as number)} / ${fmt(r.bytesOutPerEvent as number)}`,
          fmt(r.redisCpuUsPerEvent as number, 2),
        ]),
      ) +
      '\n',
  );
  const out = join(
    resolve(dirname(fileURLToPath(import.meta.url)), '../../..'),
    'bench',
    'results',
    process.argv.slice(2).length > 0
      ? 'capacity.custom.tmp.json'
      : 'capacity.json',
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      { date: new Date().toISOString(), machine, events: EVENTS, results },
      null,
      2,
    ) + '\n',
  );
  log(`wrote ${out}`);
}

main().catch(error => {
  process.stderr.write(`[capacity] failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
