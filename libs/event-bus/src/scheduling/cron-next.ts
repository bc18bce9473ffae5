import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { loadOptionalPackage } from '../optional-package.util.js';
import { schedulingMessages } from './scheduling.messages.js';

interface CronExpression {
  next(): { getTime(): number };
}
interface CronParser {
  CronExpressionParser: {
    parse(
      expression: string,
      options: { currentDate: Date; tz?: string },
    ): CronExpression;
  };
}

let parser: Promise<CronParser> | undefined;

/** cron-parser, imported on the first cron schedule (an optional peer: `every` schedules do without it). */
function loadParser(): Promise<CronParser> {
  parser ??= loadOptionalPackage<CronParser>(
    'cron-parser',
    '^5',
    'A cron schedule (schedule(name, { cron }, ...))',
    () => import('cron-parser'),
  ).catch((error: unknown) => {
    parser = undefined;
    throw error;
  });
  return parser;
}

/** True when the host knows the IANA time zone. */
function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first time after `after` (ms) that `cron` names, in `tz` (UTC by default).
 *
 * @throws InvalidConfigurationError for a bad expression or time zone, or cron-parser missing
 */
export async function cronNext(
  cron: string,
  tz: string | undefined,
  after: number,
): Promise<number> {
  if (tz !== undefined && !isTimeZone(tz))
    throw new InvalidConfigurationError(schedulingMessages.invalidTz(tz));
  const { CronExpressionParser } = await loadParser();
  let expression: CronExpression;
  try {
    expression = CronExpressionParser.parse(cron, {
      currentDate: new Date(after),
      tz: tz ?? 'UTC',
    });
  } catch (error) {
    throw new InvalidConfigurationError(
      schedulingMessages.invalidCron(cron, (error as Error).message),
    );
  }
  try {
    return expression.next().getTime();
  } catch {
    throw new InvalidConfigurationError(
      schedulingMessages.cronNeverFires(cron),
    );
  }
}
