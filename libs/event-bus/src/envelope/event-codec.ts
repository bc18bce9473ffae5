import {
  DEFAULT_MAX_DATA_BYTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_EVENT_BYTES,
  ENVELOPE_VERSION,
} from '../event-bus.constants.js';
import { messages } from '../event-bus.messages.js';
import { EventValidationError } from '../errors/event-validation.error.js';
import type {
  EventEnvelope,
  EventMetadata,
} from '../interfaces/event-envelope.interface.js';
import { isValidEventType } from '../matching/pattern-matcher.js';
import { findBinaryData } from './binary-data.js';
import { copyPlainJson, NOT_PLAIN } from './json-copy.js';
import { jsonTextDepthExceeds, valueDepthExceeds } from './json-depth.js';

/** Limits the codec enforces, resolved from the module options. */
export interface CodecLimits {
  maxEventBytes: number;
  maxDataBytes: number;
  /**
   * Deepest nesting of objects and arrays in `data` (a scalar is 0, `{}` 1). A received envelope
   * may be one level deeper, since data is a field of it.
   * @default 64
   */
  maxDepth?: number;
}

export const DEFAULT_LIMITS: CodecLimits = {
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  maxDataBytes: DEFAULT_MAX_DATA_BYTES,
  maxDepth: DEFAULT_MAX_DEPTH,
};

/** Result of decoding a message from the wire. */
export type DecodeResult =
  { ok: true; envelope: EventEnvelope } | { ok: false; reason: string };

const byteLength = (text: string): number => Buffer.byteLength(text);

/**
 * Serializes envelopes for the wire and checks them on the way in and out.
 * `data` is stringified once: its size and depth are checked on that string, which is
 * then spliced into the envelope, so a publish costs one `JSON.stringify` of the data.
 */
export class EventCodec {
  private readonly maxDepth: number;
  /** Deepest envelope accepted on receive: `{"data":…}` adds one level to data's depth. */
  private readonly maxEnvelopeDepth: number;

  constructor(private readonly limits: CodecLimits = DEFAULT_LIMITS) {
    this.maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxEnvelopeDepth = this.maxDepth + 1;
  }

  /** Serializes an envelope; throws `EventValidationError` on size, depth or JSON trouble. */
  encode(envelope: EventEnvelope): string {
    const { id, type, data, metadata, version } = envelope;
    return this.encodeParts(id, type, data, JSON.stringify(metadata), version);
  }

  /**
   * `encode` for an envelope whose metadata is already JSON (the publish fast
   * path writes it from a template). `metadataJson` must be a JSON object.
   */
  encodeParts(
    id: string,
    type: string,
    data: unknown,
    metadataJson: string,
    version: number,
  ): string {
    const dataJson = this.checkedDataJson(type, data);
    return this.assemble(id, type, dataJson, metadataJson, version);
  }

  /**
   * `encodeParts` for delivery inside this process (the memory transport):
   * the same checks and the same errors, but it returns what a receiver of the
   * text would decode as `data`, a deep copy sharing nothing with the caller's
   * value, and usually builds no text. Plain data (`copyPlainJson`) is copied
   * and its size bounded in one walk; anything else (a Date, a BigInt, a cycle,
   * data near a limit) goes through `encodeParts` and `JSON.parse`.
   */
  copyParts(
    id: string,
    type: string,
    data: unknown,
    metadataJson: string,
    version: number,
  ): unknown {
    const { maxDataBytes, maxEventBytes } = this.limits;
    // The envelope around data: `{"id":"…","type":"…","data":` and `,"metadata":…,"version":N}`, each unit at most 3 bytes.
    const aroundBytes =
      (40 + id.length + type.length + metadataJson.length) * 3;
    const copy = copyPlainJson(
      data,
      this.maxDepth,
      Math.min(maxDataBytes, maxEventBytes - aroundBytes),
    );
    if (copy !== NOT_PLAIN) return copy;
    const dataJson = this.checkedDataJson(type, data);
    this.assemble(id, type, dataJson, metadataJson, version);
    return JSON.parse(dataJson) as unknown;
  }

  /** `data` as JSON, checked against maxDataBytes and maxDepth; throws `EventValidationError`. */
  private checkedDataJson(type: string, data: unknown): string {
    if (data === undefined) {
      throw new EventValidationError(messages.dataUndefined(type), 'data');
    }
    let dataJson: string;
    try {
      dataJson = JSON.stringify(data);
    } catch (error) {
      // Data deep enough to overflow JSON.stringify's stack is reported as what it is.
      if (
        error instanceof RangeError &&
        valueDepthExceeds(data, this.maxDepth)
      ) {
        throw new EventValidationError(
          messages.dataTooDeep(type, this.maxDepth),
          'data',
          this.maxDepth,
          'levels',
        );
      }
      throw new EventValidationError(
        messages.dataNotSerializable(type, (error as Error).message),
        'data',
      );
    }
    if (dataJson === undefined) {
      throw new EventValidationError(
        messages.dataNotSerializable(type, `a ${typeof data} has no JSON form`),
        'data',
      );
    }
    // Before the size check: a Buffer's JSON is 4-5 times its size, and "base64-encode it" is the useful answer.
    // The walk (bounded by maxDepth) runs only when the text shows a trace of binary.
    const binary = findBinaryData(data, dataJson, this.maxDepth);
    if (binary) {
      throw new EventValidationError(
        messages.dataBinary(type, binary.path, binary.kind),
        binary.path,
      );
    }
    // NOTE: UTF-8 takes at most 3 bytes per UTF-16 unit; when that bound is within the limit the
    // exact byte count is not needed (the common case: an event far below the limits).
    const { maxDataBytes } = this.limits;
    if (
      dataJson.length * 3 > maxDataBytes &&
      byteLength(dataJson) > maxDataBytes
    ) {
      throw new EventValidationError(
        messages.dataTooLarge(type, byteLength(dataJson), maxDataBytes),
        'data',
        maxDataBytes,
        'bytes',
      );
    }
    // Free for data of at most 2 * maxDepth characters; otherwise one pass over the text.
    if (jsonTextDepthExceeds(dataJson, this.maxDepth)) {
      throw new EventValidationError(
        messages.dataTooDeep(type, this.maxDepth),
        'data',
        this.maxDepth,
        'levels',
      );
    }
    return dataJson;
  }

  /** The envelope's text around checked `dataJson`, checked against maxEventBytes. */
  private assemble(
    id: string,
    type: string,
    dataJson: string,
    metadataJson: string,
    version: number,
  ): string {
    // id and type are validated to plain ASCII without quotes, so they need no escaping.
    const head = `{"id":"${id}","type":"${type}","data":`;
    const tail = `,"metadata":${metadataJson},"version":${version}}`;
    const { maxEventBytes } = this.limits;
    if (head.length + (dataJson.length + tail.length) * 3 <= maxEventBytes) {
      return head + dataJson + tail;
    }
    const total = byteLength(dataJson) + head.length + byteLength(tail);
    if (total > maxEventBytes) {
      throw new EventValidationError(
        messages.eventTooLarge(type, total, maxEventBytes),
        'envelope',
        maxEventBytes,
        'bytes',
      );
    }
    return head + dataJson + tail;
  }

  /**
   * Parses and checks a message from the wire. Never throws: a bad message (not JSON, not an
   * envelope, over maxEventBytes, nested deeper than maxDepth + 1) is reported with a reason,
   * for the caller to count and log.
   */
  decode(payload: string): DecodeResult {
    if (typeof payload !== 'string')
      return { ok: false, reason: 'payload is not text' };
    // NOTE: UTF-8 is never shorter than the UTF-16 length, so short payloads skip the byte count.
    if (
      payload.length > this.limits.maxEventBytes / 3 &&
      byteLength(payload) > this.limits.maxEventBytes
    ) {
      return {
        ok: false,
        reason: `payload is over maxEventBytes (${this.limits.maxEventBytes})`,
      };
    }
    // Before parsing: nothing this deep is built, and no consumer of the envelope (handlers,
    // JSON.stringify, socket.io's encoder) can overflow its stack on it.
    if (jsonTextDepthExceeds(payload, this.maxEnvelopeDepth)) {
      return { ok: false, reason: messages.payloadTooDeep(this.maxDepth) };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch (error) {
      return {
        ok: false,
        reason: `invalid JSON (${(error as Error).message})`,
      };
    }
    const problem = checkEnvelope(parsed);
    return problem
      ? { ok: false, reason: problem }
      : { ok: true, envelope: parsed as EventEnvelope };
  }
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** The last timestamp found valid: a publisher's events of one millisecond (a burst, a frame) share it. */
let validTimestamp: unknown = Symbol('none yet');

function isValidTimestamp(value: unknown): boolean {
  if (value === validTimestamp) return true;
  if (!isNonEmptyString(value) || Number.isNaN(Date.parse(value))) return false;
  validTimestamp = value;
  return true;
}

/** The first thing wrong with a received envelope, or undefined when it is sound. */
export function checkEnvelope(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'envelope is not a JSON object';
  }
  const envelope = value as Partial<EventEnvelope>;
  if (!isNonEmptyString(envelope.id) || envelope.id.length > 128)
    return 'field "id" is missing or not a string';
  if (!isValidEventType(envelope.type))
    return 'field "type" is missing or not a valid event type';
  if (!('data' in envelope)) return 'field "data" is missing';
  if (envelope.version !== ENVELOPE_VERSION) {
    return `field "version" is ${JSON.stringify(envelope.version)}, this bus reads version ${ENVELOPE_VERSION}`;
  }
  const metadata = envelope.metadata as Partial<EventMetadata> | undefined;
  if (metadata === null || typeof metadata !== 'object')
    return 'field "metadata" is missing';
  if (!isNonEmptyString(metadata.source))
    return 'field "metadata.source" is missing';
  if (!isNonEmptyString(metadata.traceId))
    return 'field "metadata.traceId" is missing';
  if (!isValidTimestamp(metadata.timestamp)) {
    return 'field "metadata.timestamp" is not a valid date';
  }
  return undefined;
}
