/** `shardis call`: runs one command on every primary (or every node) and collects the replies. */
import { ClusterClientError } from '../../src/client/errors.js';
import { primaries, type ClusterView } from './view.js';

export interface CallResult {
  node: string;
  id: string;
  reply?: unknown;
  error?: string;
}

/** Replies as JSON-friendly values (Maps become objects, Buffers latin1 strings). */
export function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(plain(k)), plain(x)]));
  return v;
}

/** redis-cli-like text of a reply. */
export function formatReply(v: unknown, indent = ''): string {
  if (v === null || v === undefined) return '(nil)';
  if (typeof v === 'number' || typeof v === 'bigint') return `(integer) ${v}`;
  if (typeof v === 'string') return v.includes('\n') ? v : `"${v}"`;
  if (Array.isArray(v)) {
    if (v.length === 0) return '(empty array)';
    return v.map((x, i) => `${i === 0 ? '' : indent}${i + 1}) ${formatReply(x, `${indent}   `)}`).join('\n');
  }
  if (v instanceof Map) return formatReply([...v].flat(), indent);
  return String(v);
}

export async function runCall(view: ClusterView, args: string[], all: boolean): Promise<CallResult[]> {
  const targets = all ? view.nodes.filter((n) => n.conn) : primaries(view);
  return Promise.all(targets.map(async (n) => {
    const r = await n.conn!.send(args);
    return r instanceof ClusterClientError ? { node: n.addr, id: n.id, error: r.message } : { node: n.addr, id: n.id, reply: plain(r) };
  }));
}
