import { findBinaryData } from '../envelope/binary-data.js';
import { GatewayAckError } from './gateway-ack.error.js';

/**
 * Checks the `data` of a socket's `publish` before it goes to the bus: at most
 * `maxDataBytes` as JSON, and no binary. socket.io carries binary attachments
 * (a client's `Uint8Array` arrives as a Buffer), which the bus cannot carry:
 * the refusal says so, rather than `too_large` for a Buffer's JSON form.
 * One `JSON.stringify`, which the size needed anyway.
 */
export function checkClientData(
  data: unknown,
  maxDataBytes: number,
  maxDepth: number,
): void {
  if (data === undefined) return;
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch {
    json = undefined;
  }
  if (json !== undefined) {
    const binary = findBinaryData(data, json, maxDepth);
    if (binary) {
      throw new GatewayAckError(
        'invalid',
        `field "${binary.path}" is binary (${binary.kind.replace(/^an? /, '')}); event data is JSON: base64-encode it`,
      );
    }
  }
  const size = json === undefined ? Infinity : Buffer.byteLength(json);
  if (size > maxDataBytes) {
    throw new GatewayAckError(
      'too_large',
      `data is ${size} bytes, over the limit of ${maxDataBytes}`,
    );
  }
}
