import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { assertKnownKeys, optionKeys } from '../validation/option-keys.util.js';
import type {
  EventBusGatewayOptions,
  GatewayPerMessageDeflateOptions,
} from './interfaces.js';

/**
 * The socket.io engine settings the gateway takes from its options
 * (`pingInterval`, `pingTimeout`, `corsCredentials`, `perMessageDeflate`), checked
 * and with defaults; `GatewayEngine` passes them to the socket.io server.
 */
export interface EngineSettings {
  pingInterval: number;
  pingTimeout: number;
  corsCredentials: boolean;
  /** ws' per-message deflate: false, or the size from which messages are compressed. */
  perMessageDeflate: false | { threshold: number };
}

/** socket.io's own defaults: a dead peer is noticed within pingInterval + pingTimeout (45 s). */
export const DEFAULT_PING_INTERVAL_MS = 25_000;
export const DEFAULT_PING_TIMEOUT_MS = 20_000;
/** ws' default: smaller messages are not worth the deflate. */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;
/** Longest ping settings accepted: a timer of more is not a heartbeat any more. */
const MAX_PING_MS = 10 * 60_000;

export const PER_MESSAGE_DEFLATE_KEYS =
  optionKeys<GatewayPerMessageDeflateOptions>({ threshold: true });

function inRange(
  name: string,
  value: unknown,
  min: number,
  max: number,
  unit: string,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < min ||
    value > max
  ) {
    throw new InvalidConfigurationError(
      `Gateway option "${name}" is ${JSON.stringify(value)}: give a whole number of ${unit} from ${min} to ${max}.`,
    );
  }
  return value;
}

export function resolveEngineSettings(
  options: EventBusGatewayOptions,
): EngineSettings {
  const pingInterval = inRange(
    'pingInterval',
    options.pingInterval ?? DEFAULT_PING_INTERVAL_MS,
    1000,
    MAX_PING_MS,
    'ms',
  );
  const pingTimeout = inRange(
    'pingTimeout',
    options.pingTimeout ?? DEFAULT_PING_TIMEOUT_MS,
    1000,
    MAX_PING_MS,
    'ms',
  );
  const corsCredentials = options.corsCredentials ?? true;
  if (typeof corsCredentials !== 'boolean') {
    throw new InvalidConfigurationError(
      `Gateway option "corsCredentials" is ${JSON.stringify(corsCredentials)}: give true or false.`,
    );
  }
  return {
    pingInterval,
    pingTimeout,
    corsCredentials,
    perMessageDeflate: resolveDeflate(options.perMessageDeflate),
  };
}

function resolveDeflate(
  value: EventBusGatewayOptions['perMessageDeflate'],
): EngineSettings['perMessageDeflate'] {
  if (value === undefined || value === false) return false;
  if (value === true) return { threshold: DEFAULT_DEFLATE_THRESHOLD };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidConfigurationError(
      `Gateway option "perMessageDeflate" is ${JSON.stringify(value)}: give true, false or { threshold } (bytes).`,
    );
  }
  assertKnownKeys(
    'perMessageDeflate',
    value,
    PER_MESSAGE_DEFLATE_KEYS,
    {},
    'EventBusGatewayModule',
  );
  return {
    threshold: inRange(
      'perMessageDeflate.threshold',
      value.threshold ?? DEFAULT_DEFLATE_THRESHOLD,
      0,
      64 * 1024 * 1024,
      'bytes',
    ),
  };
}
