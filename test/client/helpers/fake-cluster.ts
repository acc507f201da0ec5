/**
 * In-process fake cluster for client tests: N small `net` servers sharing one
 * mutable slot table and one in-memory keyspace (a Map). Each node routes
 * keyed commands like Redis 7 does (CROSSSLOT, then MOVED to the owner, ASK
 * for a slot configured as migrating, ASKING accepted on the target) and can
 * be told to answer TRYAGAIN / CLUSTERDOWN a number of times, to drop its
 * connections, or to die. Because the data is shared, moving a slot is just a
 * change of owner: exactly what a client sees after a finished migration.
 *
 * Keys and values are latin1 strings (one char per byte).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { keySlot, SLOT_COUNT } from '../../../src/router/slot.js';

type Reply =
  | string
  | number
  | null
  | Reply[]
  | { readonly simple: string }
  | { readonly err: string }
  | { readonly map: Reply[] }
  /** A RESP3 push frame. */
  | { readonly push: Reply[] }
  /** Several frames in a row (one push per (un)subscribed name). */
  | { readonly frames: Reply[] };

/** A connection as a fake node sees it. */
interface FakeConn {
  proto: 2 | 3;
  asking: boolean;
  readonly: boolean;
  multi: string[][] | null;
  multiDirty: boolean;
  socket: Socket;
}

const KEYS: Record<string, { first: number; step: number; last: number }> = {
  GET: { first: 1, step: 1, last: 1 },
  SET: { first: 1, step: 1, last: 1 },
  INCR: { first: 1, step: 1, last: 1 },
  INCRBY: { first: 1, step: 1, last: 1 },
  APPEND: { first: 1, step: 1, last: 1 },
  DEL: { first: 1, step: 1, last: -1 },
  UNLINK: { first: 1, step: 1, last: -1 },
  EXISTS: { first: 1, step: 1, last: -1 },
  TOUCH: { first: 1, step: 1, last: -1 },
  MGET: { first: 1, step: 1, last: -1 },
  MSET: { first: 1, step: 2, last: -1 },
};

const READS = new Set(['GET', 'MGET', 'EXISTS']);

/** One fake node. */
export class FakeNode {
  readonly index: number;
  readonly id: string;
  port = 0;
  server: Server;
  readonly sockets = new Set<Socket>();
  /** Upper-cased command names (and the first argument) received, in order. */
  readonly log: string[] = [];
  /** Answer this many keyed commands with TRYAGAIN. */
  tryAgain = 0;
  /** Answer this many keyed commands with CLUSTERDOWN. */
  clusterDown = 0;
  /** Refuse HELLO (RESP2-only server). */
  noHello = false;
  /** Called first for every command; a non-undefined result is the reply. */
  intercept: ((args: string[], node: FakeNode) => Reply | undefined) | null = null;
  alive = true;
  #paused = false;
  #held: [Socket, string][] = [];

  /** Holds every reply back (a stalled node) until `resume()`. */
  pause(): void {
    this.#paused = true;
  }

  /** Sends the held replies, in order, and answers normally again. */
  resume(): void {
    this.#paused = false;
    for (const [sock, out] of this.#held.splice(0)) if (!sock.destroyed) sock.write(Buffer.from(out, 'latin1'));
  }

  constructor(readonly cluster: FakeCluster, index: number) {
    this.index = index;
    this.id = index.toString(16).padStart(40, '0');
    this.server = createServer((s) => this.#accept(s));
  }

  listen(port = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        const a = this.server.address();
        this.port = typeof a === 'object' && a ? a.port : 0;
        this.alive = true;
        resolve();
      });
    });
  }

  /** Number of log entries whose command is `name`. */
  count(name: string): number {
    return this.log.filter((l) => l.split(' ')[0] === name).length;
  }

  /** Resets every connection (the node stays up). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Stops listening and drops every connection. */
  kill(): Promise<void> {
    this.alive = false;
    this.dropConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async revive(): Promise<void> {
    this.server = createServer((s) => this.#accept(s));
    await this.listen(this.port);
  }

  #accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const conn: FakeConn = { proto: 2, asking: false, readonly: false, multi: null, multiDirty: false, socket };
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let out = '';
      for (;;) {
        const parsed = parseRequest(buf);
        if (!parsed) break;
        buf = buf.subarray(parsed.used);
        const reply = this.#handle(parsed.args, conn);
        if (reply !== undefined) out += encode(reply, conn.proto);
      }
      if (!out) return;
      if (this.#paused) this.#held.push([socket, out]);
      else socket.write(Buffer.from(out, 'latin1'));
    });
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  #handle(args: string[], conn: FakeConn): Reply | undefined {
    const name = args[0]!.toUpperCase();
    this.log.push(args.length > 1 ? `${name} ${args[1]}` : name);
    const hooked = this.intercept?.(args, this);
    if (hooked !== undefined) return hooked;
    const reply = this.#dispatch(name, args, conn, conn.asking);
    // ASKING is one-shot, except that it lasts through a MULTI block.
    if (name !== 'ASKING' && !conn.multi) conn.asking = false;
    return reply;
  }

  #dispatch(name: string, args: string[], conn: FakeConn, wasAsking: boolean): Reply | undefined {
    switch (name) {
      case 'HELLO':
        if (this.noHello) return { err: "ERR unknown command 'HELLO', with args beginning with: '3' " };
        conn.proto = args[1] === '3' ? 3 : 2;
        return { map: ['server', 'fake', 'proto', conn.proto, 'mode', 'cluster'] };
      case 'PING':
        return { simple: 'PONG' };
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE':
      case 'PSUBSCRIBE':
      case 'PUNSUBSCRIBE':
      case 'SSUBSCRIBE':
      case 'SUNSUBSCRIBE': {
        // RESP3 only; confirmations without bookkeeping: enough for a client's life cycle.
        const kind = name.toLowerCase();
        return { frames: args.slice(1).map((ch) => ({ push: [kind, ch, kind.includes('un') ? 0 : 1] })) };
      }
      case 'ASKING':
        conn.asking = true;
        return { simple: 'OK' };
      case 'READONLY':
        conn.readonly = true;
        return { simple: 'OK' };
      case 'CLIENT':
      case 'READWRITE':
      case 'QUIT':
        return { simple: 'OK' };
      case 'CLUSTER':
        return this.#clusterCommand(args);
      case 'MULTI':
        conn.multi = [];
        conn.multiDirty = false;
        return { simple: 'OK' };
      case 'EXEC': {
        const queued = conn.multi;
        conn.multi = null;
        conn.asking = false;
        if (queued === null) return { err: 'ERR EXEC without MULTI' };
        if (conn.multiDirty) return { err: 'EXECABORT Transaction discarded because of previous errors.' };
        return queued.map((q) => this.#execute(q));
      }
      case 'SCAN':
        return this.#scan(args);
      case 'DBSIZE':
        return [...this.cluster.data.keys()].filter((k) => this.cluster.owner(keySlot(k)) === this.index).length;
    }
    const spec = KEYS[name];
    if (spec === undefined) return { err: `ERR unknown command '${args[0]}'` };
    const redirect = this.#route(args, spec, wasAsking, conn.readonly && READS.has(name));
    if (redirect !== undefined) {
      if (conn.multi) conn.multiDirty = true;
      return redirect;
    }
    if (conn.multi) {
      conn.multi.push(args);
      return { simple: 'QUEUED' };
    }
    return this.#execute(args);
  }

  #route(args: string[], spec: { first: number; step: number; last: number }, asking: boolean, replicaRead: boolean): Reply | undefined {
    const last = spec.last < 0 ? args.length + spec.last : spec.last;
    let slot = -1;
    for (let i = spec.first; i <= last; i += spec.step) {
      const s = keySlot(args[i]!);
      if (slot === -1) slot = s;
      else if (s !== slot) return { err: "CROSSSLOT Keys in request don't hash to the same slot" };
    }
    if (slot === -1) return { err: `ERR wrong number of arguments for '${args[0]!.toLowerCase()}' command` };
    const c = this.cluster;
    if (this.clusterDown > 0) {
      this.clusterDown--;
      return { err: 'CLUSTERDOWN The cluster is down' };
    }
    const owner = c.owner(slot);
    if (owner === -1) return { err: 'CLUSTERDOWN Hash slot not served' };
    if (replicaRead && c.replicasOf(owner).includes(this.index)) return undefined;
    const mig = c.migrating.get(slot);
    if (mig !== undefined && mig.to === this.index && asking) return this.#maybeTryAgain();
    if (owner !== this.index) return { err: `MOVED ${slot} 127.0.0.1:${c.nodes[owner]!.port}` };
    if (mig !== undefined && mig.from === this.index) return { err: `ASK ${slot} 127.0.0.1:${c.nodes[mig.to]!.port}` };
    return this.#maybeTryAgain();
  }

  #maybeTryAgain(): Reply | undefined {
    if (this.tryAgain > 0) {
      this.tryAgain--;
      return { err: 'TRYAGAIN Multiple keys request during rehashing of slot' };
    }
    return undefined;
  }

  #execute(args: string[]): Reply {
    const data = this.cluster.data;
    const name = args[0]!.toUpperCase();
    this.cluster.applied.push(`${name} ${args.slice(1).join(' ')}`);
    switch (name) {
      case 'GET':
        return data.get(args[1]!) ?? null;
      case 'SET': {
        const nx = args.slice(3).some((a) => a.toUpperCase() === 'NX');
        if (nx && data.has(args[1]!)) return null;
        data.set(args[1]!, args[2]!);
        return { simple: 'OK' };
      }
      case 'INCR':
      case 'INCRBY': {
        const n = Number(data.get(args[1]!) ?? '0') + (name === 'INCR' ? 1 : Number(args[2]));
        data.set(args[1]!, String(n));
        return n;
      }
      case 'APPEND': {
        const v = (data.get(args[1]!) ?? '') + args[2]!;
        data.set(args[1]!, v);
        return v.length;
      }
      case 'DEL':
      case 'UNLINK': {
        let n = 0;
        for (const k of args.slice(1)) if (data.delete(k)) n++;
        return n;
      }
      case 'EXISTS':
      case 'TOUCH': {
        let n = 0;
        for (const k of args.slice(1)) if (data.has(k)) n++;
        return n;
      }
      case 'MGET':
        return args.slice(1).map((k) => data.get(k) ?? null);
      case 'MSET':
        for (let i = 1; i + 1 < args.length; i += 2) data.set(args[i]!, args[i + 1]!);
        return { simple: 'OK' };
    }
    return { err: 'ERR not implemented by the fake' };
  }

  #scan(args: string[]): Reply {
    const cursor = Number(args[1]);
    let count = 10;
    for (let i = 2; i + 1 < args.length; i += 2) if (args[i]!.toUpperCase() === 'COUNT') count = Number(args[i + 1]);
    const keys = [...this.cluster.data.keys()].filter((k) => this.cluster.owner(keySlot(k)) === this.index).sort();
    const page = keys.slice(cursor, cursor + count);
    const next = cursor + count >= keys.length ? 0 : cursor + count;
    return [String(next), page];
  }

  #clusterCommand(args: string[]): Reply {
    const sub = (args[1] ?? '').toUpperCase();
    const c = this.cluster;
    if (sub === 'SLOTS') {
      const out: Reply[] = [];
      let s = 0;
      while (s < SLOT_COUNT) {
        const o = c.owner(s);
        let e = s;
        while (e + 1 < SLOT_COUNT && c.owner(e + 1) === o) e++;
        if (o !== -1) {
          const n = c.nodes[o]!;
          const entry: Reply[] = [s, e, ['127.0.0.1', n.port, n.id, { map: [] }]];
          for (const r of c.replicasOf(o)) entry.push(['127.0.0.1', c.nodes[r]!.port, c.nodes[r]!.id, { map: [] }]);
          out.push(entry);
        }
        s = e + 1;
      }
      return out;
    }
    if (sub === 'NODES') {
      const lines = c.nodes.map((n) => {
        const mine = n === this;
        const slots: string[] = [];
        for (let s = 0; s < SLOT_COUNT; s++) if (c.owner(s) === n.index) slots.push(String(s));
        if (mine) for (const [s, m] of c.migrating) if (m.from === n.index) slots.push(`[${s}->-${c.nodes[m.to]!.id}]`);
        return `${n.id} 127.0.0.1:${n.port}@${n.port + 10000} ${mine ? 'myself,' : ''}master - 0 0 1 connected ${slots.join(' ')}\n`;
      });
      return lines.join('');
    }
    if (sub === 'INFO') return 'cluster_state:ok\r\n';
    return { err: `ERR unknown subcommand '${args[1]}'` };
  }
}

/** See the module comment. */
export class FakeCluster {
  readonly nodes: FakeNode[] = [];
  /** Slot → index of the owning node, -1 unassigned. */
  readonly slots = new Int16Array(SLOT_COUNT).fill(-1);
  /** Slots being migrated: the source answers ASK to the target. */
  readonly migrating = new Map<number, { from: number; to: number }>();
  /** Replica node indexes by primary index. */
  readonly replicas = new Map<number, number[]>();
  readonly data = new Map<string, string>();
  /** Every write/read actually executed, for at-most-once checks. */
  readonly applied: string[] = [];

  /** Starts `n` nodes with slots spread evenly over the first `primaries` (default all). */
  static async start(n: number, primaries = n): Promise<FakeCluster> {
    const c = new FakeCluster();
    for (let i = 0; i < n; i++) {
      const node = new FakeNode(c, i);
      await node.listen();
      c.nodes.push(node);
    }
    for (let s = 0; s < SLOT_COUNT; s++) c.slots[s] = Math.floor((s * primaries) / SLOT_COUNT);
    return c;
  }

  /** Seed addresses. */
  get seeds(): string[] {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`);
  }

  owner(slot: number): number {
    return this.slots[slot]!;
  }

  replicasOf(primary: number): number[] {
    return this.replicas.get(primary) ?? [];
  }

  /** Gives `slot` to node `to` behind the clients' backs. */
  moveSlot(slot: number, to: number): void {
    this.migrating.delete(slot);
    this.slots[slot] = to;
  }

  /** Node index owning `key`. */
  ownerOfKey(key: string): number {
    return this.owner(keySlot(key));
  }

  /** Total commands logged by all nodes whose name is `name`. */
  count(name: string): number {
    return this.nodes.reduce((n, node) => n + node.count(name), 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.filter((n) => n.alive).map((n) => n.kill()));
  }
}

/** Parses one RESP array request; null if incomplete. Inline commands are not supported. */
export function parseRequest(buf: Buffer): { args: string[]; used: number } | null {
  if (buf.length === 0) return null;
  let pos = 0;
  const line = (): string | null => {
    const i = buf.indexOf('\r\n', pos);
    if (i === -1) return null;
    const s = buf.toString('latin1', pos, i);
    pos = i + 2;
    return s;
  };
  const head = line();
  if (head === null) return null;
  const n = Number(head.slice(1));
  const args: string[] = [];
  for (let i = 0; i < n; i++) {
    const h = line();
    if (h === null) return null;
    const len = Number(h.slice(1));
    if (buf.length < pos + len + 2) return null;
    args.push(buf.toString('latin1', pos, pos + len));
    pos += len + 2;
  }
  return { args, used: pos };
}

function encode(r: Reply, proto: 2 | 3): string {
  if (r === null) return proto === 3 ? '_\r\n' : '$-1\r\n';
  if (typeof r === 'string') return `$${r.length}\r\n${r}\r\n`;
  if (typeof r === 'number') return `:${r}\r\n`;
  if (Array.isArray(r)) return `*${r.length}\r\n${r.map((x) => encode(x, proto)).join('')}`;
  if ('simple' in r) return `+${r.simple}\r\n`;
  if ('err' in r) return `-${r.err}\r\n`;
  if ('push' in r) return `>${r.push.length}\r\n${r.push.map((x) => encode(x, proto)).join('')}`;
  if ('frames' in r) return r.frames.map((x) => encode(x, proto)).join('');
  const items = r.map;
  if (proto === 3) return `%${items.length / 2}\r\n${items.map((x) => encode(x, proto)).join('')}`;
  return `*${items.length}\r\n${items.map((x) => encode(x, proto)).join('')}`;
}
