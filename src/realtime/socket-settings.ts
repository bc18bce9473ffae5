import type { EventBusGatewayOptions } from '@shared-infra/event-bus/gateway';

type SocketSettings = Pick<
  EventBusGatewayOptions,
  | 'corsOrigins'
  | 'corsCredentials'
  | 'pingTimeout'
  | 'pingInterval'
  | 'maxHttpBufferSize'
>;

/** The gateway's largest `maxHttpBufferSize` (100 MB), refused here under the variable's name. */
const MAX_BUFFER_SIZE = 100 * 1024 * 1024;

/**
 * The gateway's engine settings from the environment, under the seeds'
 * variable names (seed 003's `getSocketBridgeConfig`):
 *
 * - `CORS_ORIGINS` and `ALLOWED_ORIGINS` (seed 003's name): comma-separated
 *   origins, both read (their union); `*` for any. Unset: none but the page's own.
 * - `SOCKET_PING_TIMEOUT`, `SOCKET_PING_INTERVAL`: ms. Unset: the gateway's
 *   defaults (20000 and 25000, socket.io's; seed 003 says 30000 and 25000).
 * - `SOCKET_MAX_BUFFER_SIZE`: bytes. Unset: the gateway's 128 KB (seed 003: 1 MB);
 *   at most 100 MB.
 * - `SOCKET_CORS_CREDENTIALS`: `true` or `false`. Unset: the gateway's true
 *   (seed 003 reads unset as false).
 *
 * A value that is not a whole number, or not true/false, stops the start
 * with the variable's name; ranges are checked by the gateway's options.
 */
export function socketSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): SocketSettings {
  const settings: SocketSettings = {};
  const origins = ['CORS_ORIGINS', 'ALLOWED_ORIGINS'].flatMap(name =>
    (env[name] ?? '')
      .split(',')
      .map(origin => origin.trim())
      .filter(origin => origin !== ''),
  );
  if (origins.length > 0)
    settings.corsOrigins = origins.includes('*') ? '*' : [...new Set(origins)];
  const pingTimeout = wholeNumber(env, 'SOCKET_PING_TIMEOUT');
  if (pingTimeout !== undefined) settings.pingTimeout = pingTimeout;
  const pingInterval = wholeNumber(env, 'SOCKET_PING_INTERVAL');
  if (pingInterval !== undefined) settings.pingInterval = pingInterval;
  const buffer = wholeNumber(env, 'SOCKET_MAX_BUFFER_SIZE');
  if (buffer !== undefined && buffer > MAX_BUFFER_SIZE)
    throw new Error(
      `SOCKET_MAX_BUFFER_SIZE is ${buffer}: at most ${MAX_BUFFER_SIZE} (100 MB) bytes.`,
    );
  if (buffer !== undefined) settings.maxHttpBufferSize = buffer;
  const credentials = env.SOCKET_CORS_CREDENTIALS?.trim();
  if (credentials) {
    if (credentials !== 'true' && credentials !== 'false')
      throw new Error(
        `SOCKET_CORS_CREDENTIALS is ${JSON.stringify(credentials)}: set it to true or false.`,
      );
    settings.corsCredentials = credentials === 'true';
  }
  return settings;
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw))
    throw new Error(
      `${name} is ${JSON.stringify(raw)}: give a whole number (${name.endsWith('SIZE') ? 'bytes' : 'milliseconds'}), e.g. ${name.endsWith('SIZE') ? '1048576' : '30000'}.`,
    );
  return Number(raw);
}
