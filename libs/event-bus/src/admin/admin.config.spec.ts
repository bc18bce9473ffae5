import { Injectable, type CanActivate } from '@nestjs/common';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { resolveAdminConfig } from './admin.config.js';
import type { EventBusAdminOptions } from './admin-options.interface.js';
import { sumTypeRates, type InstanceReport } from './instance-report.js';

@Injectable()
class RoleGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

const refused = (options: unknown) => {
  try {
    resolveAdminConfig(options as EventBusAdminOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('resolveAdminConfig', () => {
  it('applies the defaults and sorts the guard by kind', () => {
    expect(resolveAdminConfig({ guard: RoleGuard })).toEqual({
      path: '/admin/event-bus',
      guard: { kind: 'class', guard: RoleGuard },
      imports: [],
      guardPage: false,
      readOnly: false,
      refreshMs: 2000,
    });
    const callback = () => true;
    expect(resolveAdminConfig({ guard: callback }).guard).toEqual({
      kind: 'function',
      guard: callback,
    });
    const instance = new RoleGuard();
    expect(resolveAdminConfig({ guard: instance }).guard).toEqual({
      kind: 'instance',
      guard: instance,
    });
    expect(resolveAdminConfig({ guard: 'none' }).guard).toEqual({
      kind: 'none',
    });
  });

  it('refuses to start without a guard, saying how to give one or opt out', () => {
    for (const options of [undefined, {}, { guard: undefined }]) {
      const message = refused(options);
      expect(message).toContain('needs a "guard"');
      expect(message).toContain("guard: 'none'");
    }
    expect(refused({ guard: 'nobody' })).toContain('Option "guard"');
    expect(refused({ guard: { check: () => true } })).toContain(
      'Option "guard"',
    );
    class NoCanActivate {}
    expect(refused({ guard: NoCanActivate })).toContain(
      'Option "guard" of EventBusAdminModule is a function (NoCanActivate)',
    );
  });

  it('refuses misspelled and foreign keys by name', () => {
    expect(refused({ guard: RoleGuard, pth: '/x' })).toContain(
      'Unknown option "pth" of EventBusAdminModule: did you mean "path"?',
    );
    expect(refused({ guard: RoleGuard, refreshInterval: 1000 })).toContain(
      'did you mean "refreshMs"?',
    );
    expect(refused({ guards: [RoleGuard] })).toContain(
      'Unknown option "guards" of EventBusAdminModule: did you mean "guard"?',
    );
  });

  it('checks the path and the other values', () => {
    expect(
      resolveAdminConfig({ guard: RoleGuard, path: '/ops/bus/' }).path,
    ).toBe('/ops/bus');
    for (const path of ['admin', '/a b', '/a/../b', '/', '', 42, '/x?y'])
      expect(refused({ guard: RoleGuard, path })).toContain('Option "path"');
    expect(refused({ guard: RoleGuard, readOnly: 'yes' })).toContain(
      '"readOnly" of EventBusAdminModule',
    );
    expect(refused({ guard: RoleGuard, refreshMs: 10 })).toContain(
      '"refreshMs" of EventBusAdminModule',
    );
    expect(refused({ guard: RoleGuard, imports: {} })).toContain(
      'Option "imports"',
    );
  });
});

describe('sumTypeRates', () => {
  const report = (types: InstanceReport['types']) =>
    ({ types }) as InstanceReport;

  it('adds the instances up per type, busiest first', () => {
    expect(
      sumTypeRates([
        report([
          {
            type: 'a',
            publishedPerSecond: 1,
            deliveredPerSecond: 2,
            failedPerSecond: 0,
          },
          {
            type: 'b',
            publishedPerSecond: 5,
            deliveredPerSecond: 5,
            failedPerSecond: 1,
          },
        ]),
        report(null),
        report([
          {
            type: 'a',
            publishedPerSecond: 0.5,
            deliveredPerSecond: 0.25,
            failedPerSecond: 0,
          },
        ]),
      ]),
    ).toEqual([
      {
        type: 'b',
        publishedPerSecond: 5,
        deliveredPerSecond: 5,
        failedPerSecond: 1,
      },
      {
        type: 'a',
        publishedPerSecond: 1.5,
        deliveredPerSecond: 2.25,
        failedPerSecond: 0,
      },
    ]);
  });
});
