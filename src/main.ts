import 'reflect-metadata';
import { ConsoleLogger, Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  // LOG_FORMAT=json: one JSON object per line (Nest's ConsoleLogger), for log shippers.
  const logger = process.env.LOG_FORMAT === 'json' ? new ConsoleLogger({ json: true }) : undefined;
  const app = await NestFactory.create(AppModule, logger ? { logger } : {});
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true }));
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, process.env.HOST ?? '127.0.0.1');
  const transport = process.env.REDIS_URL ? `redis (${redactUrl(process.env.REDIS_URL)})` : 'memory (embedded; set REDIS_URL to use Redis)';
  Logger.log(`Demo listening on http://${process.env.HOST ?? '127.0.0.1'}:${port} with the ${transport} transport`, 'Bootstrap');
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

bootstrap().catch(error => {
  Logger.error(`Demo failed to start: ${(error as Error).message}`, (error as Error).stack, 'Bootstrap');
  process.exit(1);
});
