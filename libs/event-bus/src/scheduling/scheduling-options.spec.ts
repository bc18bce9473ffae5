import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { checkPublishOptionKeys } from '../validation/publish-options.util.js';
import { resolveScheduling } from './scheduling-options.js';

describe('resolveScheduling', () => {
  it('fills in the defaults', () => {
    expect(resolveScheduling(undefined)).toEqual({
      pollIntervalMs: 1000,
      leaseMs: 5000,
      batchSize: 100,
      mover: true,
    });
    expect(resolveScheduling({ pollIntervalMs: 4000 }).leaseMs).toBe(8000);
  });

  it('refuses misspelled keys by name', () => {
    expect(() => resolveScheduling({ pollInterval: 100 } as never)).toThrow(
      /Unknown option "scheduling.pollInterval" of EventBusModule: did you mean "scheduling.pollIntervalMs"\?/,
    );
    expect(() => resolveScheduling({ enabled: false } as never)).toThrow(
      /"scheduling.enabled".*"scheduling.mover"/,
    );
  });

  it('refuses bad values and a lease shorter than two polls', () => {
    for (const bad of [
      { pollIntervalMs: 1 },
      { leaseMs: -5 },
      { batchSize: 0 },
      { mover: 'yes' },
      { pollIntervalMs: 1000, leaseMs: 1500 },
    ])
      expect(() => resolveScheduling(bad as never)).toThrow(
        InvalidConfigurationError,
      );
  });
});

describe('checkPublishOptionKeys', () => {
  it('lets the known options through', () => {
    expect(() =>
      checkPublishOptionKeys({ traceId: 't', delay: 10, at: new Date() }),
    ).not.toThrow();
  });

  it('refuses a misspelled delay by name, which would otherwise publish at once', () => {
    expect(() => checkPublishOptionKeys({ dealy: 10 } as never)).toThrow(
      /Unknown option "dealy" of publish\(\): did you mean "delay"\?/,
    );
    expect(() => checkPublishOptionKeys({ runAt: 10 } as never)).toThrow(
      /did you mean "at"\?/,
    );
  });
});
