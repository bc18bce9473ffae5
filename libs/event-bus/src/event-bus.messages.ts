/** A value as an option message shows it: JSON where it can, at most 80 characters. */
function describeValue(value: unknown): string {
  if (typeof value === 'function')
    return `a function (${value.name || 'anonymous'})`;
  if (
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    value === undefined
  )
    return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Every user-facing message of the library, so that wording stays consistent and
 * each message names the bad value and the fix.
 */
export const messages = {
  invalidType: (type: unknown) =>
    `Event type ${JSON.stringify(type)} is invalid: use lower-case dot-separated segments of [a-z0-9_-], e.g. "photo.uploaded" (at most 255 characters).`,
  invalidRoom: (room: unknown) =>
    `Room ${JSON.stringify(room)} is invalid: use 1 to 128 characters of letters, digits and "_ - . : @", e.g. "photo:42" or "user:alice".`,
  invalidPattern: (pattern: unknown) =>
    `Event pattern ${JSON.stringify(pattern)} is invalid: use dot-separated segments where "*" is exactly one segment and "**" any number, e.g. "photo.*" or "photo.**".`,
  dataTooLarge: (type: string, bytes: number, limit: number) =>
    `Event "${type}" data is ${bytes} bytes, over the limit of ${limit} bytes (field "data", option limits.maxDataBytes). Send a reference (an id or a URL) instead of the content.`,
  eventTooLarge: (type: string, bytes: number, limit: number) =>
    `Event "${type}" envelope is ${bytes} bytes, over the limit of ${limit} bytes (option limits.maxEventBytes). Shrink data or metadata.`,
  dataTooDeep: (type: string, limit: number) =>
    `Event "${type}" data is nested more than ${limit} levels deep (objects and arrays; field "data", option limits.maxDepth). Flatten it, or raise limits.maxDepth if such nesting is intended.`,
  payloadTooDeep: (limit: number) =>
    `payload is nested more than ${limit + 1} levels deep (limits.maxDepth is ${limit} for data, plus one for the envelope)`,
  invalidMaxDepth: (value: unknown, ceiling: number) =>
    `Option "limits.maxDepth" is ${JSON.stringify(value)}: give a whole number from 1 to ${ceiling}, the deepest nesting of objects and arrays allowed in event data (default 64).`,
  dataNotSerializable: (type: string, reason: string) =>
    `Event "${type}" data cannot be serialized to JSON (${reason}). Publish plain objects, arrays, strings, numbers, booleans or null.`,
  dataBinary: (type: string, path: string, kind: string) =>
    `Event "${type}" data holds binary data: field "${path}" is ${kind}. Event data is JSON, which has no binary type (JSON.stringify would silently turn a Buffer into {"type":"Buffer","data":[…]}, a typed array into numbered keys, an ArrayBuffer into {}). Base64-encode it (Buffer.from(bytes).toString('base64')) and decode it where it is received, or store the bytes elsewhere and publish a reference.`,
  dataUndefined: (type: string) =>
    `Event "${type}" has no data (field "data" is undefined). Publish null or an object instead.`,
  durableNotStarted: () =>
    'Durable delivery is not started yet: the event bus connects in onModuleInit. Call it after app.init() (or await app.listen()).',
  malformedDropped: (where: string, payload: unknown, reason: string) =>
    `Dropped a malformed message on ${where} (${typeof payload === 'string' ? Buffer.byteLength(payload) : 0} bytes): ${reason}. Is a foreign client writing to the bus' keys or channels?`,
  eventsMissed: (
    type: string,
    missed: number,
    publisherId: string,
    seq: number,
  ) =>
    `Missed ${missed} "${type}" event(s) from publisher ${publisherId} (it numbered this one ${seq}): they never reached this process, most likely while its subscriber was cut or Redis restarted (see eventsMissed, eventbus_events_missed_total). Use durable handlers for events that must not be lost.`,
  invalidMetadata: (field: string, reason: string) =>
    `Event metadata field "metadata.${field}" is invalid: ${reason}.`,
  invalidTimestamp: (value: unknown) =>
    `Event metadata field "metadata.timestamp" ${JSON.stringify(value)} is not a valid ISO-8601 date. Leave it out and the bus sets it.`,
  dtoInvalid: (type: string, details: string) =>
    `Event "${type}" data failed validation against its registered DTO: ${details}.`,
  schemaInvalid: (type: string, vendor: string, details: string) =>
    `Event "${type}" data failed validation against its registered ${vendor} schema: ${details}.`,
  invalidEventSchema: (type: string, value: unknown, expected: string) =>
    `The schema given for event type "${type}" is ${describeValue(value)}: give ${expected}.`,
  notConnected: (transport: string) =>
    `The event bus (${transport} transport) is not connected. Check that Redis is reachable (REDIS_URL) and retry; isConnected() tells when it is back.`,
  publishBufferFull: (
    waiting: number,
    bytes: number,
    maxPublishes: number,
    maxBytes: number,
  ) =>
    `Redis is unreachable and ${waiting} publishes (${bytes} bytes) are already waiting (options redis.maxBufferedPublishes: ${maxPublishes}, redis.maxBufferedBytes: ${maxBytes}). Nothing of this publish was sent: it is safe to retry later; or raise the limits.`,
  publishFailed: (type: string, reason: string) =>
    `Publishing "${type}" failed: ${reason}. The event was not sent; it is safe to retry.`,
  controlPublishFailed: (channel: string, reason: string) =>
    `Could not announce on the bus' control channel "${channel}" (${reason}). Other instances rely on it to learn of durable patterns and streams: if Redis refused it (NOPERM), allow the channel for this Redis user (ACL "&${channel}").`,
  deadLetterNotReplayable: (stream: string, id: string, reason: string) =>
    `Dead letter ${id} of stream "${stream}" holds no event this bus can read (${reason}): replayed, it would only be dead-lettered again, so it was not. Inspect it (dlq show ${stream} ${id}), fix whatever wrote it, then delete it (dlq purge ${stream} ${id} --yes, or deleteDeadLetter()).`,
  closed: () =>
    `The event bus is shut down: publish() and subscribe() are refused after onApplicationShutdown.`,
  requestScopedHandler: (className: string, method: string) =>
    `@OnEvent on ${className}.${method}: request-scoped providers cannot hold event handlers, because an event has no request. Move the handler to a singleton provider and inject request-independent services, or use ModuleRef.resolve() inside it.`,
  handlerTimeout: (name: string, ms: number) =>
    `Handler ${name} did not finish within ${ms} ms (option timeout). It may still be running; raise the timeout or make it faster.`,
  unknownTransport: (value: unknown) =>
    `Unknown transport ${JSON.stringify(value)}: use 'memory' or 'redis'.`,
  missingRedisOptions: () =>
    `transport 'redis' needs redis.url or redis.options, e.g. { transport: 'redis', redis: { url: 'redis://localhost:6379' } }.`,
  invalidRetry: (field: string, value: unknown) =>
    `Retry option "${field}" is ${JSON.stringify(value)}: it must be a finite number >= 0.`,
  invalidFilter: (reason: string) => `Invalid event filter: ${reason}.`,
  unknownOption: (
    option: string,
    suggestion: string | undefined,
    note: string | undefined,
    known: readonly string[],
  ) =>
    `Unknown option ${option}${suggestion ? `: did you mean "${suggestion}"?` : '.'}${note ? ` ${note}` : ''}${suggestion || note ? '' : ` Known here: ${known.join(', ')}.`}`,
  optionNotObject: (option: string, value: unknown, known: readonly string[]) =>
    `Option ${option} is ${describeValue(value)}: give an object with ${known.join(', ')}.`,
  invalidOptionChoice: (
    option: string,
    value: unknown,
    allowed: readonly string[],
    suggestion: string | undefined,
  ) =>
    `Option ${option} is ${describeValue(value)}: use ${allowed.map(a => `'${a}'`).join(', ')}${suggestion ? ` (did you mean '${suggestion}'?)` : ''}.`,
  shardedPubSubUnsupported: () =>
    'Option "redis.cluster.shardedPubSub" needs ioredis with sharded subscribers (the Cluster option shardedSubscribers, ioredis 5.8.1 or newer): this ioredis would send every SSUBSCRIBE to one node. Upgrade ioredis (npm i ioredis@latest) or leave redis.cluster.shardedPubSub off.',
  invalidOptionType: (option: string, value: unknown, expected: string) =>
    `Option ${option} is ${describeValue(value)}: give ${expected}.`,
  invalidOptionNumber: (option: string, value: unknown, min: number) =>
    `Option ${option} is ${describeValue(value)}: it must be a finite number >= ${min}.`,
  invalidOptionInteger: (
    option: string,
    value: unknown,
    min: number,
    max: number,
  ) =>
    `Option ${option} is ${describeValue(value)}: it must be an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}.`,
  malformedFrame: (records: number, empty: number) =>
    empty === records
      ? 'a frame (a message starting with the byte 0x1E) that holds no event'
      : `a frame (a message starting with the byte 0x1E) with ${empty} empty records of ${records}`,
  invalidJitter: (option: string, value: unknown) =>
    `Option ${option} is ${describeValue(value)}: use 'equal' (a delay in [d/2, d], the default), 'full' (in [0, d]) or 'none' (exactly d).`,
  durableOnlyOption: (option: string) =>
    `Option ${option} applies to durable handlers only: add durable: true, or leave it out.`,
  missingOptionalPackage: (name: string, range: string, feature: string) =>
    // A range with spaces (`^5.4.0 || ^6.0.0`) is quoted, so that the command can be pasted into a shell.
    `${feature} needs the package "${name}", which is not installed: install it (npm i ${name}@${/\s/.test(range) ? `"${range}"` : range}) or leave the feature off.`,
  metricAlreadyRegistered: (name: string) =>
    `Metric "${name}" is already registered in the Prometheus registry: is a second event bus running in this process? Give each bus its own metrics.registry or metrics.prefix.`,
  persistentRoomLimit: (userId: string, room: string, limit: number) =>
    `User ${JSON.stringify(userId)} already has ${limit} persistent rooms, the most (gateway option maxRoomsPerSocket less the 4 rooms of a socket's own): "${room}" was not added. Remove one with removeUserFromRoom(), or raise maxRoomsPerSocket.`,
  invalidHistoryQuery: (detail: string) =>
    `History query is invalid: ${detail}. Give { since?, before?, limit? } with event ids and a limit from 1 to 500.`,
  gatewayAdapterMissing: () =>
    `EventBusGatewayModule needs its WebSocket adapter, and the app's socket.io server was not built by EventBusIoAdapter: add app.useWebSocketAdapter(new EventBusIoAdapter(app)) before app.listen() (import EventBusIoAdapter from '@shared-infra/event-bus/gateway'). An adapter of your own must extend EventBusIoAdapter and build its server with super.createIOServer().`,
};
