/**
 * Client child: COUNT sockets (websocket transport only, no reconnection),
 * each with its own user's JWT in `auth.token`. CLIENT_KIND `light` (the
 * default: `LightSocket`, the same wire protocol for a fraction of the client
 * CPU, so the server is what saturates) or `socket.io` (`socket.io-client`).
 *
 * - `connect` { url, concurrency }: connects them, `concurrency` at a time;
 *   each socket's time is from `io()` to the ack of its `subscribe` to the
 *   room. Replies `connected` with every socket's time and the first start and
 *   last ack (the runner takes the span over all client processes).
 * - every received bench event is counted per phase and quarter, with its
 *   latency (receipt time − `data.sentAt`) in a histogram, and per 100 ms of
 *   arrival time (for the delivered rate over a time window);
 * - `stats` { phase }: replies the phase's counts and histograms;
 * - `window` { from, to }: receipts that arrived in [from, to) (100 ms bins);
 * - `totals`: receipts so far, disconnects, CPU time since the last `totals`,
 *   RSS now and at its peak.
 *
 * env: CLIENT_INDEX, COUNT, CLIENT_KIND.
 */
import { JwtService } from '@nestjs/jwt';
import { io, type Socket } from 'socket.io-client';
import { cpuSince, memory, now, onCommand, report } from '../lib/ipc.js';
import {
  EVENT_TYPE,
  Histogram,
  JWT_SECRET,
  ROOM,
  type BenchClientEvent,
} from './common.js';
import { LightSocket, type LightEvent } from './light-socket.js';

const index = Number(process.env.CLIENT_INDEX ?? 0);
const count = Number(process.env.COUNT ?? 500);
const kind = process.env.CLIENT_KIND ?? 'light';
if (kind !== 'light' && kind !== 'socket.io')
  throw new Error(`CLIENT_KIND=${kind}: expected light or socket.io`);
const jwt = new JwtService({ secret: JWT_SECRET });

interface PhaseStats {
  received: number;
  quarters: Histogram[];
}

const phases = new Map<number, PhaseStats>();
const BIN_MS = 100;
/** Receipts per 100 ms of arrival time, by `Math.floor(t / BIN_MS)`. */
const bins = new Map<number, number>();
let received = 0;
let disconnects = 0;
let strays = 0;
let sampleBytes = 0;
let cpuMark = process.cpuUsage();
const sockets: Array<{ connected: boolean }> = [];

function onEvent(event: BenchClientEvent): void {
  const t = now();
  const data = event?.data;
  if (!data || typeof data.sentAt !== 'number') {
    strays++;
    return;
  }
  if (sampleBytes === 0)
    sampleBytes = Buffer.byteLength(JSON.stringify([EVENT_TYPE, event]));
  record(t, data.phase, data.q, data.sentAt);
}

function onLightEvent(event: LightEvent): void {
  const t = now();
  if (sampleBytes === 0) sampleBytes = event.bytes;
  record(t, event.phase, event.q, event.sentAt);
}

function record(t: number, phase: number, q: number, sentAt: number): void {
  received++;
  const bin = Math.floor(t / BIN_MS);
  bins.set(bin, (bins.get(bin) ?? 0) + 1);
  let stats = phases.get(phase);
  if (!stats)
    phases.set(
      phase,
      (stats = {
        received: 0,
        quarters: [
          new Histogram(),
          new Histogram(),
          new Histogram(),
          new Histogram(),
        ],
      }),
    );
  stats.received++;
  stats.quarters[q].add(t - sentAt);
}

async function connectLight(url: string, userId: string): Promise<number> {
  const t0 = now();
  const socket = await LightSocket.open(
    url,
    { token: jwt.sign({ sub: userId }, { expiresIn: 3600 }) },
    EVENT_TYPE,
    onLightEvent,
    () => disconnects++,
  ).catch((error: Error) => {
    throw new Error(`${userId}: ${error.message}`);
  });
  sockets.push(socket);
  const ack = (await socket.emitWithAck('subscribe', { room: ROOM })) as {
    ok?: boolean;
  };
  if (ack?.ok !== true)
    throw new Error(`${userId}: subscribe refused: ${JSON.stringify(ack)}`);
  return now() - t0;
}

function connectOne(url: string, userId: string): Promise<number> {
  if (kind === 'light') return connectLight(url, userId);
  const t0 = now();
  const socket: Socket = io(url, {
    transports: ['websocket'],
    auth: { token: jwt.sign({ sub: userId }, { expiresIn: 3600 }) },
    reconnection: false,
    forceNew: true,
    timeout: 30_000,
  });
  sockets.push(socket);
  socket.on(EVENT_TYPE, onEvent);
  return new Promise((resolve, reject) => {
    socket.once('connect_error', error =>
      reject(new Error(`${userId}: connect_error ${error.message}`)),
    );
    socket.once('connect', () => {
      socket
        .timeout(30_000)
        .emitWithAck('subscribe', { room: ROOM })
        .then((ack: { ok?: boolean; error?: string }) => {
          if (ack?.ok !== true)
            throw new Error(
              `${userId}: subscribe refused: ${JSON.stringify(ack)}`,
            );
          socket.on('disconnect', () => disconnects++);
          resolve(now() - t0);
        })
        .catch(reject);
    });
  });
}

async function connectAll(url: string, concurrency: number) {
  const times: number[] = [];
  const failures: string[] = [];
  const start = now();
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      try {
        times.push(await connectOne(url, `u${index}-${i}`));
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, loop));
  return {
    start,
    end: now(),
    times,
    failures: failures.slice(0, 5),
    failed: failures.length,
  };
}

onCommand(async message => {
  switch (message.kind) {
    case 'connect':
      report({
        kind: 'connected',
        ...(await connectAll(String(message.url), Number(message.concurrency))),
      });
      break;
    case 'stats': {
      const phase = Number(message.phase);
      const stats = phases.get(phase);
      phases.delete(phase);
      report({
        kind: 'stats',
        phase,
        received: stats?.received ?? 0,
        quarters: (stats?.quarters ?? []).map(h => h.toJSON()),
        sampleBytes,
      });
      break;
    }
    case 'window': {
      const from = Math.ceil(Number(message.from) / BIN_MS);
      const to = Math.floor(Number(message.to) / BIN_MS);
      let n = 0;
      for (let bin = from; bin < to; bin++) n += bins.get(bin) ?? 0;
      report({ kind: 'window', received: n, ms: (to - from) * BIN_MS });
      break;
    }
    case 'totals': {
      const cpuUs = cpuSince(cpuMark);
      cpuMark = process.cpuUsage();
      report({
        kind: 'totals',
        received,
        disconnects,
        strays,
        cpuUs,
        connected: sockets.filter(s => s.connected).length,
        ...memory(),
      });
      break;
    }
    case 'exit':
      process.exit(0);
  }
});
report({ kind: 'ready', pid: process.pid });
