/**
 * A load-generating socket.io client that costs the client processes as
 * little as possible, so that on 2 cores the server, not the clients, is what
 * the gateway bench saturates. It speaks the same wire protocol as
 * `socket.io-client` with `transports: ['websocket']` (engine.io v4 over a
 * plain RFC 6455 WebSocket on `node:net`, socket.io v5 packets): the server
 * cannot tell the difference. What it leaves out is the client-side work:
 * it decodes no event; for a `42["bench.tick",…]` frame it reads the numbers
 * after `"phase":`, `"q":` and `"sentAt":` straight from the received bytes.
 *
 * Supported: text frames from the server (unfragmented, unmasked, no
 * extensions: engine.io offers permessage-deflate only when asked), the
 * engine.io open / ping / close packets, the socket.io CONNECT with `auth`,
 * one ack (`subscribe`), EVENT packets. Anything else is an error.
 */
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';

/** What the bench reads from one bench event frame. */
export interface LightEvent {
  phase: number;
  q: number;
  sentAt: number;
  /** Bytes of the socket.io packet after the engine.io type (the JSON `[name, payload]`). */
  bytes: number;
}

const EVENT_PREFIX = Buffer.from('42["');
const PHASE = Buffer.from('"phase":');
const Q = Buffer.from('"q":');
const SENT_AT = Buffer.from('"sentAt":');

/** The number written in ASCII at `buf[at…]` (digits, one '.', optional leading '-'). */
function readNumber(buf: Buffer, at: number, end: number): number {
  let i = at;
  let sign = 1;
  if (buf[i] === 0x2d) {
    sign = -1;
    i++;
  }
  let value = 0;
  for (; i < end; i++) {
    const c = buf[i];
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + (c - 0x30);
  }
  if (buf[i] === 0x2e) {
    let scale = 0.1;
    for (i++; i < end; i++) {
      const c = buf[i];
      if (c < 0x30 || c > 0x39) break;
      value += (c - 0x30) * scale;
      scale /= 10;
    }
  }
  return sign * value;
}

/** Position just after `needle` in buf[from, end), or -1. */
function after(buf: Buffer, needle: Buffer, from: number, end: number): number {
  const at = buf.indexOf(needle, from);
  return at === -1 || at + needle.length > end ? -1 : at + needle.length;
}

/** One masked client text frame (RFC 6455 requires clients to mask). */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + 4 + length);
  frame[0] = 0x81;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, header);
  for (let i = 0; i < length; i++)
    frame[header + 4 + i] = payload[i] ^ mask[i & 3];
  return frame;
}

export class LightSocket {
  private readonly tcp: Socket;
  private pending?: Buffer;
  private upgraded = false;
  private opened = false;
  private ackWaiter?: (reply: unknown) => void;
  private connectWaiter?: { resolve: () => void; reject: (e: Error) => void };
  connected = false;
  /** Frames that were neither bench events nor protocol packets this client knows. */
  others = 0;

  private constructor(
    host: string,
    port: number,
    private readonly eventName: string,
    private readonly onEvent: (event: LightEvent) => void,
    private readonly onDisconnect: () => void,
  ) {
    this.tcp = tcpConnect({ host, port, noDelay: true });
    const key = randomBytes(16).toString('base64');
    this.tcp.once('connect', () =>
      this.tcp.write(
        `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${host}:${port}\r\n` +
          `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    this.tcp.on('data', chunk => this.onData(chunk));
    this.tcp.on('error', error => this.fail(error));
    this.tcp.on('close', () => {
      const was = this.connected;
      this.connected = false;
      this.fail(new Error('connection closed'));
      if (was) this.onDisconnect();
    });
  }

  /**
   * Opens the WebSocket, sends the socket.io CONNECT with `auth` and resolves
   * once the server accepted it (rejects on CONNECT_ERROR or a close).
   */
  static open(
    url: string,
    auth: Record<string, unknown>,
    eventName: string,
    onEvent: (event: LightEvent) => void,
    onDisconnect: () => void,
  ): Promise<LightSocket> {
    const { hostname, port } = new URL(url);
    const socket = new LightSocket(
      hostname,
      Number(port),
      eventName,
      onEvent,
      onDisconnect,
    );
    return new Promise((resolve, reject) => {
      socket.connectWaiter = {
        resolve: () => resolve(socket),
        reject,
      };
      socket.authText = `40${JSON.stringify(auth)}`;
    });
  }

  private authText = '40';

  /** Emits `name` with `data` and an ack (id 1; one request at a time); resolves with the ack's JSON args. */
  emitWithAck(name: string, data: unknown): Promise<unknown> {
    return new Promise(resolve => {
      this.ackWaiter = resolve;
      this.send(`421${JSON.stringify([name, data])}`);
    });
  }

  close(): void {
    this.tcp.destroy();
  }

  private send(text: string): void {
    this.tcp.write(clientFrame(text));
  }

  private fail(error: Error): void {
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.reject(error);
  }

  private onData(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let at = 0;
    if (!this.upgraded) {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) {
        this.pending = buf;
        return;
      }
      const head = buf.toString('latin1', 0, end);
      if (!head.startsWith('HTTP/1.1 101')) {
        this.fail(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        this.tcp.destroy();
        return;
      }
      this.upgraded = true;
      at = end + 4;
    }
    while (at < buf.length) {
      if (buf.length - at < 2) break;
      const b0 = buf[at];
      let length = buf[at + 1] & 0x7f;
      let header = 2;
      if (length === 126) {
        if (buf.length - at < 4) break;
        length = buf.readUInt16BE(at + 2);
        header = 4;
      } else if (length === 127) {
        if (buf.length - at < 10) break;
        length = Number(buf.readBigUInt64BE(at + 2));
        header = 10;
      }
      if (buf.length - at < header + length) break;
      const start = at + header;
      const end = start + length;
      at = end;
      const opcode = b0 & 0x0f;
      if (opcode === 0x1) this.onText(buf, start, end);
      else if (opcode === 0x8) this.tcp.end();
      else if (opcode !== 0x9 && opcode !== 0xa)
        throw new Error(`unsupported WebSocket frame (opcode ${opcode})`);
    }
    if (at < buf.length) this.pending = buf.subarray(at);
  }

  private onText(buf: Buffer, start: number, end: number): void {
    // The hot path: a socket.io EVENT. Only the bench's own is read.
    if (
      end - start > EVENT_PREFIX.length &&
      buf.compare(EVENT_PREFIX, 0, EVENT_PREFIX.length, start, start + 4) === 0
    ) {
      const nameEnd = start + 4 + this.eventName.length;
      if (
        buf.toString('latin1', start + 4, nameEnd) === this.eventName &&
        buf[nameEnd] === 0x22
      ) {
        const p = after(buf, PHASE, nameEnd, end);
        const q = p === -1 ? -1 : after(buf, Q, p, end);
        const s = q === -1 ? -1 : after(buf, SENT_AT, q, end);
        if (s !== -1) {
          this.onEvent({
            phase: readNumber(buf, p, end),
            q: readNumber(buf, q, end),
            sentAt: readNumber(buf, s, end),
            bytes: end - start - 2,
          });
          return;
        }
      }
      this.others++;
      return;
    }
    const type = buf[start];
    if (type === 0x32 /* engine.io ping */) {
      this.send('3');
    } else if (type === 0x30 /* engine.io open */) {
      if (!this.opened) {
        this.opened = true;
        this.send(this.authText);
      }
    } else if (type === 0x31 /* engine.io close */) {
      this.tcp.end();
    } else if (type === 0x34 /* engine.io message */) {
      const packet = buf[start + 1];
      if (packet === 0x30 /* CONNECT */) {
        this.connected = true;
        const waiter = this.connectWaiter;
        this.connectWaiter = undefined;
        waiter?.resolve();
      } else if (packet === 0x34 /* CONNECT_ERROR */) {
        this.fail(
          new Error(`connect_error ${buf.toString('utf8', start + 2, end)}`),
        );
        this.tcp.destroy();
      } else if (packet === 0x33 /* ACK */ && buf[start + 2] === 0x31) {
        const waiter = this.ackWaiter;
        this.ackWaiter = undefined;
        // "431[reply]": the ack's arguments; the bench's acks have one.
        const args = JSON.parse(buf.toString('utf8', start + 3, end)) as [
          unknown,
        ];
        waiter?.(args[0]);
      } else if (packet === 0x31 /* DISCONNECT */) {
        this.tcp.end();
      } else this.others++;
    } else this.others++;
  }
}
