import 'reflect-metadata';
import { ConsoleLogger, Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { EventBusIoAdapter } from '@shared-infra/event-bus/gateway';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppModule } from './app.module.js';

/** The web page's files (src/public: not compiled, served as they are). */
const PUBLIC_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'src',
  'public',
);

/** The client SDK's browser bundle (`npm run build` makes it). */
function clientBundleDir(): string | undefined {
  try {
    return dirname(
      fileURLToPath(
        import.meta.resolve('@shared-infra/event-bus-client/browser'),
      ),
    );
  } catch {
    return undefined;
  }
}

async function bootstrap(): Promise<void> {
  // LOG_FORMAT=json: one JSON object per line (Nest's ConsoleLogger), for log shippers.
  const logger =
    process.env.LOG_FORMAT === 'json'
      ? new ConsoleLogger({ json: true })
      : undefined;
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule,
    logger ? { logger } : {},
  );
  app.useWebSocketAdapter(new EventBusIoAdapter(app));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true }));
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  const bundle = clientBundleDir();
  if (bundle && existsSync(join(bundle, 'event-bus-client.js'))) {
    app.useStaticAssets(bundle, {
      prefix: '/vendor/',
      index: false,
      maxAge: '1h',
    });
  } else {
    Logger.warn(
      'The client SDK bundle is missing (run "npm run build"): the web page cannot connect.',
      'Bootstrap',
    );
  }
  app.useStaticAssets(PUBLIC_DIR, { index: 'index.html' });
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  await app.listen(port, host);
  const transport = process.env.REDIS_URL
    ? `redis (${redactUrl(process.env.REDIS_URL)})`
    : 'memory (embedded; set REDIS_URL to use Redis)';
  Logger.log(
    `Demo listening on http://${host}:${port} with the ${transport} transport`,
    'Bootstrap',
  );
  Logger.log(
    `Web page: http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/`,
    'Bootstrap',
  );
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

bootstrap().catch(error => {
  Logger.error(
    `Demo failed to start: ${(error as Error).message}`,
    (error as Error).stack,
    'Bootstrap',
  );
  process.exit(1);
});
