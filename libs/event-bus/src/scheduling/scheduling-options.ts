import type { SchedulingModuleOptions } from '../interfaces/scheduling.interface.js';
import {
  assertKnownKeys,
  assertNumber,
  assertTypeOf,
  optionKeys,
} from '../validation/option-keys.util.js';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { schedulingMessages } from './scheduling.messages.js';

/** `scheduling` with defaults applied. */
export interface ResolvedSchedulingOptions {
  pollIntervalMs: number;
  leaseMs: number;
  batchSize: number;
  mover: boolean;
}

const OWNER = 'EventBusModule';
const KEYS = optionKeys<SchedulingModuleOptions>({
  pollIntervalMs: true,
  leaseMs: true,
  batchSize: true,
  mover: true,
});
const ALIASES = {
  'scheduling.interval': 'scheduling.pollIntervalMs',
  'scheduling.pollInterval': 'scheduling.pollIntervalMs',
  'scheduling.lockMs': 'scheduling.leaseMs',
  'scheduling.lockDuration': 'scheduling.leaseMs',
  'scheduling.enabled': {
    key: 'scheduling.mover',
    note: 'Delayed publishes and schedules are always available; mover: false only keeps this instance from moving them.',
  },
};

/** Checks `scheduling` (keys by name, ranges) and fills in the defaults. */
export function resolveScheduling(
  options: SchedulingModuleOptions | undefined,
): ResolvedSchedulingOptions {
  assertKnownKeys('scheduling', options, KEYS, ALIASES, OWNER);
  const given = options ?? {};
  assertNumber('scheduling.pollIntervalMs', given.pollIntervalMs, 10, OWNER);
  assertNumber('scheduling.leaseMs', given.leaseMs, 20, OWNER);
  assertNumber('scheduling.batchSize', given.batchSize, 1, OWNER);
  assertTypeOf('scheduling.mover', given.mover, 'boolean', OWNER);
  const pollIntervalMs = given.pollIntervalMs ?? 1000;
  const leaseMs = given.leaseMs ?? Math.max(5000, 2 * pollIntervalMs);
  // NOTE: a lease shorter than two ticks would lapse between renewals, and the movers would swap on every tick.
  if (leaseMs < 2 * pollIntervalMs)
    throw new InvalidConfigurationError(
      schedulingMessages.leaseTooShort(leaseMs, pollIntervalMs),
    );
  return {
    pollIntervalMs,
    leaseMs,
    batchSize: Math.floor(given.batchSize ?? 100),
    mover: given.mover ?? true,
  };
}
