/**
 * Redis Cluster bench: fan-out events/s and gateway deliveries/s on a local
 * cluster, classic pub/sub (`PUBLISH`, forwarded to every node) against
 * sharded pub/sub (`redis.cluster.shardedPubSub: true`: `SPUBLISH` to the
 * slot's master, the sharded socket.io adapter), on 1 and on 3 masters.
 *
 * Each repetition runs the four configurations in rotated order, each with
 * fresh children:
 * - bus: one publisher child (the bus, `publish` of 1 KB events over six types
 *   with six first segments, `window` in flight) and one subscriber child
 *   (one `<segment>.*` handler per segment); events/s from first publish to
 *   last handler call, and the CPU time of every redis-server per event;
 * - gateway: one gateway child, one client child of `sockets` light sockets in
 *   one room, and a publisher child calling `publishToRoom`; deliveries/s are
 *   events × sockets over first publish to last receipt (polled every 20 ms).
 *
 * Both clusters (1 and 3 masters, no replicas) run for the whole bench. Every
 * process shares this machine's cores, so the figures compare the modes on
 * the same load; they do not show what separate hosts per master would give.
 * Results: bench/results/cluster.json (cluster.quick.json with --quick).
 *
 * Flags: --quick, --reps=N, --events=N, --gateway-events=N, --sockets=N, --window=N.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisCluster } from '../../test/setup/redis-cluster.js';
import { BenchChild, killAllChildren, runPhase } from '../lib/child.js';
import { intFlag } from '../lib/flags.js';
import {
  machineInfo,
  median,
  rotatedOrder,
  round,
  table,
} from '../lib/stats.js';
import { SEGMENTS } from './common.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const reps = intFlag('reps', quick ? 2 : 5);
const events = intFlag('events', quick ? 10_000 : 40_000);
const warmup = intFlag('warmup', quick ? 2_000 : 5_000);
const gatewayEvents = intFlag('gateway-events', quick ? 1_000 : 3_000);
const sockets = intFlag('sockets', 200);
const window = intFlag('window', 256);

type Mode = 'classic' | 'sharded';
interface Config {
  masters: 1 | 3;
  mode: Mode;
}
const CONFIGS: Config[] = [
  { masters: 1, mode: 'classic' },
  { masters: 1, mode: 'sharded' },
  { masters: 3, mode: 'classic' },
  { masters: 3, mode: 'sharded' },
];
const label = (c: Config) =>
  `${c.mode}, ${c.masters} master${c.masters > 1 ? 's' : ''}`;

interface Run {
  config: string;
  rep: number;
  order: number;
  bus: {
    eventsPerSecond: number;
    latencyP50Ms: number;
    latencyP99Ms: number;
    /** CPU of all redis-servers per event, and of the busiest one, in µs. */
    redisCpuUsPerEvent: number;
    busiestNodeCpuUsPerEvent: number;
    publisherCpuUsPerEvent: number;
    subscriberCpuUsPerEvent: number;
  };
  gateway: {
    deliveriesPerSecond: number;
    events: number;
    sockets: number;
    redisCpuUsPerEvent: number;
    busiestNodeCpuUsPerEvent: number;
  };
}

async function nodeCpuUs(cluster: RedisCluster): Promise<number[]> {
  return Promise.all(
    cluster.nodes.map(async (_, i) => {
      const info = await cluster.command(i, 'INFO', 'cpu');
      const field = (name: string) =>
        Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
      return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
    }),
  );
}

function cpuPerEvent(before: number[], after: number[], count: number) {
  const used = after.map((v, i) => v - before[i]);
  return {
    total: used.reduce((a, b) => a + b, 0) / count,
    busiest: Math.max(...used) / count,
  };
}

function env(
  cluster: RedisCluster,
  mode: Mode,
  extra: Record<string, string> = {},
) {
  return {
    BENCH_CLUSTER: JSON.stringify(cluster.nodes),
    BENCH_SHARDED: String(mode === 'sharded'),
    ...extra,
  };
}

async function runBus(cluster: RedisCluster, mode: Mode): Promise<Run['bus']> {
  const children: BenchChild[] = [];
  try {
    const subscriber = BenchChild.start(
      `${mode} subscriber`,
      join(HERE, 'subscriber.js'),
      env(cluster, mode),
    );
    children.push(subscriber);
    const publisher = BenchChild.start(
      `${mode} publisher`,
      join(HERE, 'publisher.js'),
      env(cluster, mode, { BENCH_TARGET: 'bus' }),
    );
    children.push(publisher);
    await Promise.all([
      subscriber.waitFor('ready', 30_000),
      publisher.waitFor('ready', 30_000),
    ]);
    await runPhase(subscriber, publisher, {
      name: 'warmup',
      count: warmup,
      window,
    });
    const before = await nodeCpuUs(cluster);
    const { d, p } = await runPhase(subscriber, publisher, {
      name: 'measure',
      count: events,
      window,
      firstSeq: warmup,
    });
    const cpu = cpuPerEvent(before, await nodeCpuUs(cluster), events);
    const elapsedMs = Number(d.tLast) - Number(p.t0);
    return {
      eventsPerSecond: round((events / elapsedMs) * 1000),
      latencyP50Ms: round(Number(d.p50), 2),
      latencyP99Ms: round(Number(d.p99), 2),
      redisCpuUsPerEvent: round(cpu.total, 2),
      busiestNodeCpuUsPerEvent: round(cpu.busiest, 2),
      publisherCpuUsPerEvent: round(Number(p.cpuUs) / events, 2),
      subscriberCpuUsPerEvent: round(Number(d.cpuUs) / events, 2),
    };
  } finally {
    await Promise.all(children.map(c => c.stop()));
  }
}

async function received(clients: BenchChild): Promise<number> {
  clients.send({ kind: 'totals' });
  return Number((await clients.waitFor('totals', 10_000)).received);
}

async function runGateway(
  cluster: RedisCluster,
  mode: Mode,
): Promise<Run['gateway']> {
  const children: BenchChild[] = [];
  try {
    const server = BenchChild.start(
      `${mode} gateway`,
      join(HERE, 'gateway-server.js'),
      env(cluster, mode),
    );
    children.push(server);
    const publisher = BenchChild.start(
      `${mode} room publisher`,
      join(HERE, 'publisher.js'),
      env(cluster, mode, { BENCH_TARGET: 'room' }),
    );
    children.push(publisher);
    const { port } = await server.waitFor('ready', 30_000);
    const clients = BenchChild.start(
      `${mode} clients`,
      join(HERE, '..', 'gateway', 'clients.js'),
      { CLIENT_INDEX: '0', COUNT: String(sockets), CLIENT_KIND: 'light' },
    );
    children.push(clients);
    await Promise.all([
      clients.waitFor('ready', 30_000),
      publisher.waitFor('ready', 30_000),
    ]);
    clients.send({
      kind: 'connect',
      url: `http://127.0.0.1:${String(port)}`,
      concurrency: 50,
    });
    const connected = await clients.waitFor('connected', 60_000);
    if (Number(connected.failed) > 0)
      throw new Error(`sockets failed: ${JSON.stringify(connected.failures)}`);
    // Warm-up: a tenth of the events, then the measured ones.
    const send = async (count: number, firstSeq: number) => {
      const start = await received(clients);
      const target = start + count * sockets;
      publisher.send({
        kind: 'publish',
        phase: 'x',
        count,
        window: 64,
        firstSeq,
      });
      const t0 = Date.now();
      let last = start;
      let lastChange = t0;
      for (;;) {
        await new Promise(r => setTimeout(r, 20));
        const n = await received(clients);
        if (n !== last) lastChange = Date.now();
        last = n;
        if (n >= target) break;
        if (Date.now() - lastChange > 10_000)
          throw new Error(
            `gateway stalled at ${n - start} of ${count * sockets} deliveries`,
          );
      }
      const published = await publisher.waitFor('published', 30_000);
      return {
        elapsedMs: Date.now() - Number(published.t0),
        deliveries: count * sockets,
      };
    };
    await send(Math.max(100, Math.round(gatewayEvents / 10)), 0);
    const before = await nodeCpuUs(cluster);
    const { elapsedMs, deliveries } = await send(gatewayEvents, 1_000_000);
    const cpu = cpuPerEvent(before, await nodeCpuUs(cluster), gatewayEvents);
    return {
      deliveriesPerSecond: round((deliveries / elapsedMs) * 1000),
      events: gatewayEvents,
      sockets,
      redisCpuUsPerEvent: round(cpu.total, 2),
      busiestNodeCpuUsPerEvent: round(cpu.busiest, 2),
    };
  } finally {
    await Promise.all(children.map(c => c.stop()));
  }
}

async function main(): Promise<void> {
  const clusters = new Map<number, RedisCluster>();
  const stop = async () => {
    killAllChildren();
    await Promise.all([...clusters.values()].map(c => c.stop()));
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));
  try {
    for (const masters of [1, 3] as const) {
      const cluster = await RedisCluster.start({ masters });
      clusters.set(masters, cluster);
      for (let i = 0; i < masters; i++)
        await cluster.command(
          i,
          'CONFIG',
          'SET',
          'client-output-buffer-limit',
          'pubsub 0 0 0',
        );
    }
    const version =
      /redis_version:(\S+)/.exec(
        await clusters.get(3)!.command(0, 'INFO', 'server'),
      )?.[1] ?? 'unknown';
    const machine = machineInfo(version);
    console.log(
      `cluster bench: ${reps} repetitions, ${events} bus events (window ${window}), ${gatewayEvents} room events to ${sockets} sockets; segments ${SEGMENTS.join(', ')}; ${machine.cpuCount} CPUs, Redis ${version}`,
    );
    const runs: Run[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      const order = rotatedOrder(CONFIGS, rep);
      for (let k = 0; k < order.length; k++) {
        const config = order[k];
        const cluster = clusters.get(config.masters)!;
        const bus = await runBus(cluster, config.mode);
        const gateway = await runGateway(cluster, config.mode);
        const run: Run = {
          config: label(config),
          rep,
          order: k + 1,
          bus,
          gateway,
        };
        runs.push(run);
        console.log(
          `rep ${rep} #${k + 1} ${run.config}: bus ${bus.eventsPerSecond} events/s (redis ${bus.redisCpuUsPerEvent} µs/event, busiest node ${bus.busiestNodeCpuUsPerEvent}); gateway ${gateway.deliveriesPerSecond} deliveries/s (redis ${gateway.redisCpuUsPerEvent} µs/event)`,
        );
      }
    }
    const summary = CONFIGS.map(config => {
      const mine = runs.filter(r => r.config === label(config));
      const med = (pick: (r: Run) => number) =>
        round(median(mine.map(pick)), 2);
      return {
        config: label(config),
        masters: config.masters,
        mode: config.mode,
        busEventsPerSecond: med(r => r.bus.eventsPerSecond),
        busRedisCpuUsPerEvent: med(r => r.bus.redisCpuUsPerEvent),
        busBusiestNodeCpuUsPerEvent: med(r => r.bus.busiestNodeCpuUsPerEvent),
        busLatencyP99Ms: med(r => r.bus.latencyP99Ms),
        gatewayDeliveriesPerSecond: med(r => r.gateway.deliveriesPerSecond),
        gatewayRedisCpuUsPerEvent: med(r => r.gateway.redisCpuUsPerEvent),
        gatewayBusiestNodeCpuUsPerEvent: med(
          r => r.gateway.busiestNodeCpuUsPerEvent,
        ),
      };
    });
    console.log(
      '\n' +
        table(
          [
            'configuration',
            'bus events/s',
            'redis µs/event',
            'busiest node µs/event',
            'bus p99 ms',
            'gateway deliveries/s',
            'gateway redis µs/event',
          ],
          summary.map(s => [
            s.config,
            String(s.busEventsPerSecond),
            String(s.busRedisCpuUsPerEvent),
            String(s.busBusiestNodeCpuUsPerEvent),
            String(s.busLatencyP99Ms),
            String(s.gatewayDeliveriesPerSecond),
            String(s.gatewayRedisCpuUsPerEvent),
          ]),
        ),
    );
    const file = join(
      HERE,
      '..',
      '..',
      '..',
      'bench',
      'results',
      quick ? 'cluster.quick.json' : 'cluster.json',
    );
    writeFileSync(
      file,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          machine,
          settings: {
            reps,
            events,
            warmup,
            window,
            gatewayEvents,
            sockets,
            segments: SEGMENTS,
            quick,
          },
          summary,
          runs,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`\nwrote ${file}`);
  } finally {
    await stop();
  }
}

main().catch(error => {
  console.error(error);
  killAllChildren();
  process.exit(1);
});
