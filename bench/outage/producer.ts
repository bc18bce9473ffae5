/**
 * Producer child of the outage memory bench: the bench bus (bench/lib/bus-app.ts, default
 * options, so the default outage buffer) publishing `bench.job` events of ~10 KB at a fixed
 * rate. A durable consumer (bench/durable/consumer-ours.ts) has registered `bench.*`, so each
 * publish is XADD + PUBLISH. Every 100 ms it reports its memory and the publish outcomes so far.
 *
 * `{ kind: 'run', rate, seconds, settleMs }` → `started`, then `sample` messages; the last one,
 * `final: true`, once every publish settled (or `settleMs` after the last publish).
 * `{ kind: 'gc' }` → a full GC (the runner starts this child with --expose-gc), then `gc` with the memory after it.
 */
import 'reflect-metadata';
import { EventBusUnavailableError } from '@shared-infra/event-bus';
import { startBenchBus } from '../lib/bus-app.js';
import { fail, now, onCommand, report } from '../lib/ipc.js';
import { DURABLE_TYPE } from '../durable/common.js';
import { makeData, type BenchData } from '../fanout/payload.js';

/** Bytes of each event's `data` as JSON. */
export const DATA_BYTES = 10 * 1024;

const emptyBlob = JSON.stringify({ ...makeData(0), blob: '' }).length;
const BLOB = 'x'.repeat(DATA_BYTES - emptyBlob);

/** The data of event `seq`, made fresh per publish: the 1 KB bench event plus a blob to 10 KB. */
function makeOutageData(seq: number): BenchData & { blob: string } {
  return { ...makeData(seq), blob: BLOB };
}

/** What became of the publishes so far. */
interface Outcomes {
  issued: number;
  accepted: number;
  /** Refused at once: the outage buffer was full (nothing sent). */
  rejected: number;
  /** Any other rejection (e.g. a waiting publish that outlived maxRetriesPerRequest). */
  failed: number;
  firstFailure?: string;
}

function sampleOf(outcomes: Outcomes): Record<string, number> {
  const usage = process.memoryUsage();
  const mb = (bytes: number): number => bytes / 1024 / 1024;
  return {
    t: now(),
    rssMb: mb(usage.rss),
    // The kernel's high-water mark of this process (KB): no spike between two samples escapes it.
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: mb(usage.heapUsed),
    externalMb: mb(usage.external),
    arrayBuffersMb: mb(usage.arrayBuffers),
    issued: outcomes.issued,
    accepted: outcomes.accepted,
    rejected: outcomes.rejected,
    failed: outcomes.failed,
    pending:
      outcomes.issued - outcomes.accepted - outcomes.rejected - outcomes.failed,
  };
}

async function main(): Promise<void> {
  const { bus, close } = await startBenchBus('bench-outage-producer');
  onCommand(async message => {
    if (message.kind === 'exit') {
      await Promise.race([
        close(),
        new Promise(resolve => setTimeout(resolve, 3000)),
      ]);
      process.exit(0);
    }
    if (message.kind === 'gc') {
      // Run with --expose-gc: what stays reachable, apart from garbage not yet collected.
      (globalThis as { gc?: () => void }).gc?.();
      const usage = process.memoryUsage();
      report({
        kind: 'gc',
        heapUsedMb: usage.heapUsed / 1024 / 1024,
        externalMb: usage.external / 1024 / 1024,
        rssMb: usage.rss / 1024 / 1024,
      });
      return;
    }
    if (message.kind !== 'run') return;
    const rate = Number(message.rate);
    const total = Math.round(Number(message.seconds) * rate);
    const settleMs = Number(message.settleMs);
    const outcomes: Outcomes = {
      issued: 0,
      accepted: 0,
      rejected: 0,
      failed: 0,
    };
    const settled = (): number =>
      outcomes.accepted + outcomes.rejected + outcomes.failed;
    const sampler = setInterval(
      () => report({ kind: 'sample', ...sampleOf(outcomes) }),
      100,
    );
    const t0 = now();
    report({ kind: 'started', t0, ...sampleOf(outcomes) });
    await new Promise<void>(resolve => {
      const pump = (): void => {
        // On a fixed schedule, as a steady load would: what is due by now goes out now.
        const due = Math.min(
          total,
          Math.floor(((now() - t0) / 1000) * rate) + 1,
        );
        while (outcomes.issued < due) {
          const seq = outcomes.issued++;
          bus.publish(DURABLE_TYPE, makeOutageData(seq)).then(
            () => outcomes.accepted++,
            (error: Error) => {
              if (
                error instanceof EventBusUnavailableError &&
                error.message.includes('are already waiting')
              ) {
                outcomes.rejected++;
              } else {
                outcomes.failed++;
                outcomes.firstFailure ??= error.message;
              }
            },
          );
        }
        if (outcomes.issued < total) setTimeout(pump, 1);
        else resolve();
      };
      pump();
    });
    const tEnd = now();
    // Publishes still waiting (in the outage buffer) get `settleMs` to settle.
    const deadline = Date.now() + settleMs;
    while (settled() < outcomes.issued && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    clearInterval(sampler);
    report({
      kind: 'sample',
      final: true,
      t0,
      tEnd,
      firstFailure: outcomes.firstFailure,
      ...sampleOf(outcomes),
    });
  });
  report({ kind: 'ready' });
}

main().catch(fail);
