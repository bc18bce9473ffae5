import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// The library's required peers; @nestjs/terminus, prom-client, ioredis, @opentelemetry/api and cron-parser are left out on purpose.
const PEERS = [
  '@nestjs/common',
  '@nestjs/core',
  'class-transformer',
  'class-validator',
  'reflect-metadata',
  'rxjs',
];

// An app that uses the bus, then asks for the three features that need the optional peers.
const APP = `
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBusHealthModule, EventBusModule, EventBusService } from '@shared-infra/event-bus';

const context = imports => {
  class AppModule {}
  Module({ imports })(AppModule);
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
};
const out = {};
const app = await context([EventBusModule.forRoot({ serviceName: 'no-extras' })]);
const bus = app.get(EventBusService);
const got = new Promise(resolve => bus.subscribe('plain.event', event => resolve(event)));
await bus.publish('plain.event', {});
const event = await got;
out.delivered = event.type;
out.traceparent = event.metadata.traceparent ?? 'none';
await bus.schedule('every.minute', { every: 60000 }, 'plain.event', {});
out.every = (await bus.listSchedules()).length;
out.cron = await bus.schedule('cron.minute', { cron: '* * * * *' }, 'plain.event', {}).then(() => 'scheduled', e => e.message);
await app.close();
out.metrics = await context([EventBusModule.forRoot({ serviceName: 'x', metrics: { enabled: true } })]).then(() => 'started', e => e.message);
out.health = await EventBusHealthModule.forRoot().then(() => 'loaded', e => e.message);
out.redis = await context([EventBusModule.forRoot({ serviceName: 'x', transport: 'redis', redis: { url: 'redis://127.0.0.1:1' } })]).then(() => 'started', e => e.message);
console.log(JSON.stringify(out));
`;

describe('optional peer dependencies (@nestjs/terminus, prom-client, ioredis, @opentelemetry/api)', () => {
  let dir: string;

  beforeAll(() => {
    const library = join(ROOT, 'libs', 'event-bus');
    if (!existsSync(join(library, 'dist', 'index.js')))
      throw new Error(
        'libs/event-bus/dist is missing: run "npm run build" first.',
      );
    // An app folder outside the repository, so that nothing resolves from its node_modules by accident.
    dir = mkdtempSync(join(tmpdir(), 'eventbus-peers-'));
    const target = join(dir, 'node_modules', '@shared-infra', 'event-bus');
    cpSync(join(library, 'dist'), join(target, 'dist'), { recursive: true });
    cpSync(join(library, 'package.json'), join(target, 'package.json'));
    for (const peer of PEERS) {
      mkdirSync(dirname(join(dir, 'node_modules', peer)), { recursive: true });
      symlinkSync(
        join(ROOT, 'node_modules', peer),
        join(dir, 'node_modules', peer),
      );
    }
    writeFileSync(join(dir, 'app.mjs'), APP);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an app without them loads and runs the bus; the features that need them say what to install', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(dir, 'app.mjs')],
      { cwd: dir, timeout: 30_000 },
    );
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<
      string,
      string
    >;
    expect(out.delivered).toBe('plain.event');
    // Without @opentelemetry/api: no spans, no traceparent, and nothing to install.
    expect(out.traceparent).toBe('none');
    // Schedules by interval need nothing; a cron schedule names cron-parser.
    expect(out.every).toBe(1);
    expect(out.cron).toMatch(
      /A cron schedule .* needs the package "cron-parser".*npm i cron-parser@\^5/,
    );
    expect(out.metrics).toMatch(
      /Option metrics.enabled needs the package "prom-client".*npm i prom-client@\^15/,
    );
    expect(out.health).toMatch(
      /EventBusHealthModule needs the package "@nestjs\/terminus".*npm i @nestjs\/terminus@\^12/,
    );
    expect(out.redis).toMatch(
      /Option transport: 'redis' needs the package "ioredis".*npm i ioredis@"\^5\.4\.0 \|\| \^6\.0\.0"/,
    );
  });
});
