/**
 * A raw RESP test client: sends commands and returns each reply's exact bytes,
 * so tests can compare Shardis with Redis byte for byte. Replies are framed
 * with `replyLength`, a small RESP2/RESP3 framer independent of the server's
 * own encoder.
 */
import { connect, type Socket } from 'node:net';

/** Length of the complete reply starting at `pos`, or -1 if `buf` holds only part of it. */
export function replyLength(buf: Buffer, pos = 0): number {
  if (pos >= buf.length) return -1;
  const lf = buf.indexOf(10, pos);
  if (lf === -1) return -1;
  const type = String.fromCharCode(buf[pos]!);
  const header = buf.toString('latin1', pos + 1, lf - 1);
  const afterHeader = lf + 1;
  switch (type) {
    case '+':
    case '-':
    case ':':
    case ',':
    case '_':
    case '#':
    case '(':
      return afterHeader - pos;
    case '$':
    case '=':
    case '!': {
      const n = Number(header);
      if (n < 0) return afterHeader - pos;
      if (buf.length < afterHeader + n + 2) return -1;
      return afterHeader + n + 2 - pos;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      let n = Number(header);
      if (n < 0) return afterHeader - pos;
      if (type === '%' || type === '|') n *= 2;
      let p = afterHeader;
      for (let i = 0; i < n; i++) {
        const len = replyLength(buf, p);
        if (len < 0) return -1;
        p += len;
      }
      return p - pos;
    }
    default:
      throw new Error(`Cannot frame a reply starting with byte ${buf[pos]}: ${JSON.stringify(buf.toString('latin1', pos, pos + 40))}`);
  }
}

/**
 * The bulk strings of a flat RESP2 array reply, in order (nulls and other
 * element types are skipped). For replies whose elements are all bulks,
 * such as HGETALL or SMEMBERS.
 */
export function bulkStrings(reply: string): string[] {
  const out: string[] = [];
  const re = /\$(\d+)\r\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(reply)) !== null) {
    const start = m.index + m[0].length;
    out.push(reply.slice(start, start + Number(m[1])));
    re.lastIndex = start + Number(m[1]) + 2;
  }
  return out;
}

/** Encodes a command as a RESP multibulk request. Strings are taken as latin1 bytes. */
export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, Buffer.from('\r\n', 'latin1'));
  }
  return Buffer.concat(parts);
}

export class RawClient {
  #socket: Socket;
  #buf = Buffer.alloc(0);
  #waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
  #closed = false;
  #error: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
      for (;;) {
        if (this.#waiting.length === 0) break;
        const len = replyLength(this.#buf);
        if (len < 0) break;
        const reply = this.#buf.subarray(0, len);
        this.#buf = this.#buf.subarray(len);
        this.#waiting.shift()!.resolve(reply);
      }
    });
    const fail = (err: Error): void => {
      this.#closed = true;
      this.#error = err;
      for (const w of this.#waiting.splice(0)) w.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('Connection closed')));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => {
        s.off('error', reject);
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one command and resolves with its reply's exact bytes. */
  call(...args: (string | Buffer)[]): Promise<Buffer> {
    return this.send(encodeCommand(args));
  }

  /** Like `call`, returning the reply as a latin1 string. */
  async text(...args: (string | Buffer)[]): Promise<string> {
    return (await this.call(...args)).toString('latin1');
  }

  /** Writes raw bytes and resolves with the next reply. */
  send(bytes: Buffer | string): Promise<Buffer> {
    if (this.#closed) return Promise.reject(this.#error ?? new Error('Connection closed'));
    const p = new Promise<Buffer>((resolve, reject) => this.#waiting.push({ resolve, reject }));
    this.#socket.write(bytes);
    return p;
  }

  /** Writes raw bytes without waiting for anything. */
  write(bytes: Buffer | string): void {
    this.#socket.write(bytes);
  }

  /** Resolves with the next reply, without sending anything (MONITOR, pushes). */
  next(): Promise<Buffer> {
    const len = replyLength(this.#buf);
    if (len >= 0) {
      const reply = this.#buf.subarray(0, len);
      this.#buf = this.#buf.subarray(len);
      return Promise.resolve(reply);
    }
    if (this.#closed) return Promise.reject(this.#error ?? new Error('Connection closed'));
    return new Promise<Buffer>((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Resolves when the server closes the connection. */
  waitClosed(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#socket.once('close', () => resolve()));
  }

  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }
}
