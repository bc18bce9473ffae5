import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { cronNext } from './cron-next.js';
import { checkScheduleName, checkScheduleSpec } from './schedule-spec.js';

describe('checkScheduleSpec', () => {
  it('takes every, or cron with an optional tz', () => {
    expect(checkScheduleSpec({ every: 1000 })).toEqual({ every: 1000 });
    expect(checkScheduleSpec({ cron: '*/5 * * * *' })).toEqual({
      cron: '*/5 * * * *',
    });
    expect(
      checkScheduleSpec({ cron: '0 9 * * *', tz: 'Europe/Paris' }),
    ).toEqual({ cron: '0 9 * * *', tz: 'Europe/Paris' });
  });

  it('refuses a misspelled key by name, with the real one', () => {
    expect(() => checkScheduleSpec({ evry: 1000 })).toThrow(
      /Unknown option "evry" of schedule\(\): did you mean "every"\?/,
    );
    expect(() =>
      checkScheduleSpec({ cron: '* * * * *', timezone: 'UTC' }),
    ).toThrow(/"timezone" of schedule\(\): did you mean "tz"\?/);
  });

  it.each([
    [{}, /exactly one of "every"/],
    [{ every: 1000, cron: '* * * * *' }, /exactly one of "every"/],
    [{ every: 5 }, /"every" is 5/],
    [{ every: 1000.5 }, /"every" is 1000.5/],
    [{ every: 1000, tz: 'UTC' }, /"tz" goes with "cron" only/],
    [{ cron: '' }, /"cron" is ""/],
    [{ cron: '* * * * *', tz: 7 }, /"tz" is 7/],
    [null, /exactly one of "every"/],
  ])('refuses %j', (spec, message) => {
    expect(() => checkScheduleSpec(spec)).toThrow(InvalidConfigurationError);
    expect(() => checkScheduleSpec(spec)).toThrow(message);
  });

  it('refuses empty, long or control-character names', () => {
    expect(() => checkScheduleName('reports.daily')).not.toThrow();
    for (const name of ['', 'a'.repeat(201), 'a\nb', 42])
      expect(() => checkScheduleName(name)).toThrow(InvalidConfigurationError);
  });
});

describe('cronNext (cron-parser)', () => {
  const at = Date.parse('2026-03-01T08:58:30Z');

  it('gives the next time of the expression, in UTC by default', async () => {
    expect(
      new Date(await cronNext('*/5 * * * *', undefined, at)).toISOString(),
    ).toBe('2026-03-01T09:00:00.000Z');
  });

  it('evaluates in the time zone given', async () => {
    // 09:00 in Paris is 08:00 UTC in winter: the next one is the following day.
    expect(
      new Date(await cronNext('0 9 * * *', 'Europe/Paris', at)).toISOString(),
    ).toBe('2026-03-02T08:00:00.000Z');
  });

  it('is strictly after the time given, so a fire on the dot moves on', async () => {
    const dot = Date.parse('2026-03-01T09:00:00Z');
    expect(
      new Date(await cronNext('0 * * * *', undefined, dot)).toISOString(),
    ).toBe('2026-03-01T10:00:00.000Z');
  });

  it('refuses a bad expression or time zone with the reason', async () => {
    await expect(cronNext('every minute', undefined, at)).rejects.toThrow(
      /Schedule option "cron" is "every minute"/,
    );
    await expect(cronNext('* * * * *', 'Mars/Olympus', at)).rejects.toThrow(
      /"tz" is "Mars\/Olympus"/,
    );
  });
});
