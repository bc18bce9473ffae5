/** A value as the scheduling messages show it: JSON where it can, at most 80 characters. */
function shown(value: unknown): string {
  if (value instanceof Date) return `Date(${String(value.getTime())})`;
  if (typeof value === 'number' || value === undefined) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The messages of delayed publishes and schedules, beside the bus' own
 * (`event-bus.messages.ts`), each naming the bad value and the fix.
 */
export const schedulingMessages = {
  invalidDelay: (value: unknown) =>
    `Publish option "delay" is ${shown(value)}: give a finite number of milliseconds >= 0, e.g. { delay: 60_000 } for a minute from now.`,
  invalidAt: (value: unknown) =>
    `Publish option "at" is ${shown(value)}: give a valid Date (or milliseconds since the epoch), e.g. { at: new Date('2030-01-01T09:00:00Z') }.`,
  delayAndAt: () =>
    'Publish options "delay" and "at" were both given: use one (delay: ms from now, or at: a Date).',
  delayedWithTarget: (method: string) =>
    `Publish options "delay" and "at" are for publish() only, not ${method}(): a delayed event is moved into its stream and fanned out when due, without room history. Publish a delayed event and have its handler call ${method}().`,
  noScheduleStore: (kind: string) =>
    `Transport "${kind}" keeps no delayed events or schedules (it has no createScheduleStore): use the memory or the redis transport.`,
  invalidScheduleName: (name: unknown) =>
    `Schedule name ${shown(name)} is invalid: give 1 to 200 characters without control characters, e.g. "reports.daily".`,
  scheduleNeedsOne: (spec: unknown) =>
    `Schedule ${shown(spec)} needs exactly one of "every" (ms) or "cron" (e.g. '*/5 * * * *'), e.g. { every: 60_000 } or { cron: '0 9 * * 1', tz: 'Europe/Paris' }.`,
  invalidEvery: (value: unknown, min: number) =>
    `Schedule option "every" is ${shown(value)}: give a whole number of milliseconds >= ${min}.`,
  tzWithoutCron: () =>
    'Schedule option "tz" goes with "cron" only: an "every" schedule counts milliseconds, whatever the time zone.',
  invalidCron: (cron: unknown, reason: string) =>
    `Schedule option "cron" is ${shown(cron)}: ${reason}. Use 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. '*/5 * * * *'.`,
  invalidTz: (tz: unknown) =>
    `Schedule option "tz" is ${shown(tz)}: give an IANA time zone, e.g. 'Europe/Paris' or 'UTC'.`,
  cronNeverFires: (cron: string) =>
    `Schedule cron '${cron}' has no next time: it never fires.`,
  schedulingClosed: () =>
    'The event bus is shut down: delayed publishes and schedules are refused after shutdown.',
  moveFailed: (reason: string) =>
    `Moving due delayed events and schedules failed: ${reason}. Retrying on the next tick; nothing due is lost (it stays stored until moved).`,
  fireFailed: (name: string, reason: string) =>
    `Schedule "${name}" did not fire: ${reason}. It fires on a later tick once the cause is gone (a cron schedule needs cron-parser on every instance that moves).`,
  leaseTooShort: (leaseMs: number, pollIntervalMs: number) =>
    `Option "scheduling.leaseMs" of EventBusModule is ${leaseMs}: give at least twice scheduling.pollIntervalMs (${2 * pollIntervalMs}), or the lease lapses between two polls and the movers swap on every tick.`,
};
