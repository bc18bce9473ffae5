#!/usr/bin/env node
/**
 * Dead letters for operators: `npx event-bus-dlq list|count|show|replay|purge`.
 * Connects with REDIS_URL (or --url) and the bus' channel prefix (--prefix).
 */
import { Redis } from 'ioredis';
import { parseArgs } from 'node:util';
import { replayDeadLetter } from '../durable/dead-letters.js';
import { EventCodec } from '../envelope/event-codec.js';
import { parseJsonWithinDepth } from '../envelope/json-depth.js';
import { DeadLetterNotReplayableError } from '../errors/dead-letter-not-replayable.error.js';
import { MAX_DEPTH_CEILING } from '../event-bus.constants.js';
import { RedisStreamStore } from '../transports/redis/redis-stream.store.js';
import type { DeadLetter } from '../durable/stream-store.interface.js';

const USAGE = `Usage: npx event-bus-dlq <command> [options]   (in this repository: npm run dlq -- <command>)

Commands:
  list   [--stream S] [--count N]       dead letters, oldest first
  count  [--stream S]                   how many dead letters
  show   <stream> <id>                  one dead letter with payload and stack
  replay <stream> <id> | --all [--stream S]
                                        send back to the original group, then delete;
                                        refused for a payload that is not an event
  purge  [--stream S] --yes             delete dead letters
  purge  <stream> <id> --yes            delete one dead letter

Options:
  --url     Redis URL (default: $REDIS_URL, else redis://127.0.0.1:6379)
  --prefix  channel prefix of the bus (default: eventbus:)
  --json    print JSON instead of a table`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/**
 * Checks a payload before replay. The bus' limits are not known here, so only what no bus reads is
 * refused; a payload over the consumers' own limits comes back as a dead letter.
 */
const anyBusCodec = new EventCodec({
  maxEventBytes: Number.MAX_SAFE_INTEGER,
  maxDataBytes: Number.MAX_SAFE_INTEGER,
  maxDepth: MAX_DEPTH_CEILING,
});

/** One line of a table cell: an error message may hold newlines. */
const cell = (text: string, max = Infinity): string => {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function table(letters: DeadLetter[]): string {
  if (letters.length === 0) return 'No dead letters.';
  const rows = letters.map(l => [
    l.stream,
    l.id,
    l.type ?? '?',
    l.group,
    l.handler,
    String(l.attempts),
    l.lastFailureAt,
    cell(l.error, 60),
  ]);
  const head = [
    'STREAM',
    'ID',
    'TYPE',
    'GROUP',
    'HANDLER',
    'ATTEMPTS',
    'LAST FAILURE',
    'ERROR',
  ];
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map(r => r[i].length)),
  );
  return [head, ...rows]
    .map(r =>
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      prefix: { type: 'string', default: 'eventbus:' },
      stream: { type: 'string' },
      count: { type: 'string', default: '100' },
      all: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const url = values.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
  } catch (error) {
    fail(
      `Cannot reach Redis at ${url}: ${(error as Error).message}. Set REDIS_URL or pass --url.`,
    );
  }
  const store = new RedisStreamStore({
    prefix: values.prefix!,
    trim: { strategy: 'maxlen', maxLength: 100_000 },
    deadLetterMaxLength: 10_000,
    command: client,
    createReader: () => client,
    subscribeControl: async () => undefined,
  });
  const print = (value: unknown, text: string) =>
    process.stdout.write(
      `${values.json ? JSON.stringify(value, null, 2) : text}\n`,
    );
  try {
    switch (command) {
      case 'list': {
        const letters = await store.listDeadLetters({
          stream: values.stream,
          count: Number(values.count),
        });
        print(letters, table(letters));
        break;
      }
      case 'count': {
        const count = await store.countDeadLetters(values.stream);
        print({ count }, String(count));
        break;
      }
      case 'show': {
        const [stream, id] = args;
        if (!stream || !id)
          fail('show needs <stream> <id>; see "list" for both.');
        const letter = await store.getDeadLetter(stream, id);
        if (!letter) fail(`No dead letter ${id} in stream "${stream}".`);
        // A malformed payload (not JSON, or too deep to print) is shown as the raw text.
        const payload =
          parseJsonWithinDepth(letter.payload, MAX_DEPTH_CEILING + 1) ??
          letter.payload;
        print(letter, JSON.stringify({ ...letter, payload }, null, 2));
        break;
      }
      case 'replay': {
        let targets: Array<{ stream: string; id: string }>;
        if (values.all) {
          const letters = await store.listDeadLetters({
            stream: values.stream,
            count: Number.MAX_SAFE_INTEGER,
          });
          targets = letters.map(l => ({ stream: l.stream, id: l.id }));
        } else {
          const [stream, id] = args;
          if (!stream || !id)
            fail('replay needs <stream> <id>, or --all [--stream S].');
          targets = [{ stream, id }];
        }
        let replayed = 0;
        for (const { stream, id } of targets) {
          try {
            if (await replayDeadLetter(store, stream, id, anyBusCodec))
              replayed++;
            else
              process.stderr.write(
                `No dead letter ${id} in stream "${stream}".\n`,
              );
          } catch (error) {
            if (!(error instanceof DeadLetterNotReplayableError)) throw error;
            process.stderr.write(`${error.message}\n`);
          }
        }
        print(
          { replayed },
          `Replayed ${replayed} dead letter(s) to their original groups.`,
        );
        if (replayed < targets.length) process.exitCode = 1;
        break;
      }
      case 'purge': {
        if (!values.yes)
          fail(`purge deletes dead letters for good: add --yes to confirm.`);
        const [stream, id] = args;
        if (stream && !id)
          fail(
            'purge takes <stream> <id> for one dead letter, or --stream S for a whole stream.',
          );
        if (stream && values.stream)
          fail('purge takes <stream> <id> or --stream S, not both.');
        if (stream) {
          const purged = (await store.deleteDeadLetter(stream, id)) ? 1 : 0;
          print({ purged }, `Deleted ${purged} dead letter(s).`);
          if (!purged) {
            process.stderr.write(
              `No dead letter ${id} in stream "${stream}".\n`,
            );
            process.exitCode = 1;
          }
          break;
        }
        const purged = await store.purgeDeadLetters(values.stream);
        print({ purged }, `Deleted ${purged} dead letter(s).`);
        break;
      }
      default:
        fail(`Unknown command "${command}".\n\n${USAGE}`);
    }
  } finally {
    client.disconnect();
  }
}

main().catch(error => fail(`dlq failed: ${(error as Error).message}`));
