/**
 * Raw RESP over a socket for benchmarks that must not go through a client
 * library (loaders, PING probes): encode a command, open a connection, send
 * one command and read its first reply line. Strings are latin1 (one char
 * per byte), so `a.length` is the byte length.
 */
import { connect, type Socket } from 'node:net';

export function encode(args: readonly string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/** A connection to 127.0.0.1:`port` with Nagle off. */
export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(sock));
    sock.once('error', reject);
  });
}

/** One command on a fresh connection; resolves with the first reply line. */
export async function once(port: number, args: readonly string[]): Promise<string> {
  const sock = await open(port);
  return new Promise((resolve, reject) => {
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\r\n');
      if (nl >= 0) {
        sock.destroy();
        resolve(buf.slice(0, nl));
      }
    });
    sock.once('error', reject);
    sock.write(encode(args), 'latin1');
  });
}
