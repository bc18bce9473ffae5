/** The levels the bus takes: `info` is the seeds' name of `log`. */
const LOG_LEVELS = ['debug', 'log', 'info', 'warn', 'error'] as const;

/**
 * LOG_LEVEL, checked: an unknown level would reach the bus, which refuses it
 * without naming the variable. Case is ignored (LOG_LEVEL=INFO).
 *
 * @param value the variable's value
 * @default 'log' when unset or empty
 * @throws Error naming LOG_LEVEL and the levels it takes
 */
export function logLevelFromEnv(
  value = process.env.LOG_LEVEL,
): (typeof LOG_LEVELS)[number] {
  if (value === undefined || value === '') return 'log';
  const level = LOG_LEVELS.find(l => l === value.toLowerCase());
  if (!level)
    throw new Error(
      `LOG_LEVEL is ${JSON.stringify(value)}: use debug, log (or info), warn or error.`,
    );
  return level;
}
