/**
 * The client's view of the cluster: a flat 16384-entry table from slot to
 * shard (primary + replicas), and the set of known nodes.
 *
 * Refresh is a single flight: `refresh()` returns the running refresh if there
 * is one (`??=`); a refresh requested while one runs makes exactly one more run
 * afterwards, so a burst of MOVED replies costs at most two `CLUSTER SLOTS`
 * round trips and the last one started after the burst began. A refresh asks
 * the known primaries first, then replicas, then the seeds, in random order
 * within each group, and stops at the first node that answers; if none does it
 * fails with a `TopologyError` whose `cause` lists every node's error.
 *
 * `moved(slot, endpoint)` patches one slot at once from a MOVED reply without
 * waiting for the refresh.
 */
import { SLOT_COUNT } from '../router/slot.js';
import { TopologyError, type Endpoint } from './errors.js';
import { nodeKey } from './connection-pool.js';

/** A node as announced by the cluster, after `natMap`. */
export interface NodeInfo extends Endpoint {
  /** `host:port`. */
  readonly key: string;
  readonly id: string;
  readonly role: 'primary' | 'replica';
}

/** The owner of a slot. */
export interface Shard {
  readonly primary: NodeInfo;
  readonly replicas: readonly NodeInfo[];
}

/** What a refresh changed; the payload of the client's `topology` event. */
export interface TopologyChange {
  readonly added: readonly NodeInfo[];
  readonly removed: readonly NodeInfo[];
  /** Number of slots whose primary changed (assigned, moved or unassigned). */
  readonly movedSlots: number;
}

/** Announced address → reachable address; an object keyed by `host:port` or a function. */
export type NatMap = Readonly<Record<string, Endpoint>> | ((announced: Endpoint) => Endpoint);

/** Sends `CLUSTER SLOTS` to a node and resolves with the raw reply. */
export type SlotsFetcher = (node: Endpoint) => Promise<unknown>;

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** See the module comment. */
export class SlotMap {
  /** Slot → shard; undefined while unassigned or unknown. */
  readonly slots: (Shard | undefined)[] = new Array<Shard | undefined>(SLOT_COUNT).fill(undefined);
  #nodes = new Map<string, NodeInfo>();
  #seeds: readonly Endpoint[];
  #natMap: NatMap | undefined;
  #fetch: SlotsFetcher;
  #flight: Promise<TopologyChange> | undefined;
  #again = false;
  #loaded = false;

  constructor(seeds: readonly Endpoint[], fetch: SlotsFetcher, natMap?: NatMap) {
    this.#seeds = seeds;
    this.#fetch = fetch;
    this.#natMap = natMap;
  }

  /** True once a refresh succeeded. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Every known node. */
  nodes(): NodeInfo[] {
    return [...this.#nodes.values()];
  }

  /** Known primaries that own at least one slot. */
  primaries(): NodeInfo[] {
    const seen = new Map<string, NodeInfo>();
    for (const s of this.slots) if (s !== undefined) seen.set(s.primary.key, s.primary);
    return [...seen.values()];
  }

  /** A random primary owning slots, or undefined when none is known. */
  randomPrimary(): NodeInfo | undefined {
    const p = this.primaries();
    return p[Math.floor(Math.random() * p.length)];
  }

  /** Applies a natMap to an announced address. */
  translate(e: Endpoint): Endpoint {
    const nat = this.#natMap;
    if (nat === undefined) return e;
    if (typeof nat === 'function') return nat(e);
    return nat[nodeKey(e)] ?? e;
  }

  /**
   * Records a MOVED: `slot` is now served by `target` (already translated).
   * Replicas of the old shard are dropped for that slot until the refresh.
   */
  moved(slot: number, target: Endpoint): void {
    const cur = this.slots[slot];
    const key = nodeKey(target);
    if (cur !== undefined && cur.primary.key === key) return;
    let node = this.#nodes.get(key);
    if (node === undefined || node.role !== 'primary') {
      node = { host: target.host, port: target.port, key, id: node?.id ?? '', role: 'primary' };
      this.#nodes.set(key, node);
    }
    // Share the shard object of other slots owned by the same primary when possible.
    this.slots[slot] = { primary: node, replicas: [] };
  }

  /** Resolves once no refresh is running (nor queued to run again). */
  async idle(): Promise<void> {
    while (this.#flight !== undefined) await this.#flight.catch(() => {});
  }

  /** Starts a refresh, or joins the running one (see the module comment). */
  refresh(): Promise<TopologyChange> {
    if (this.#flight !== undefined) {
      this.#again = true;
      return this.#flight;
    }
    const flight = this.#run().finally(() => {
      this.#flight = undefined;
      if (this.#again) {
        this.#again = false;
        this.refresh().catch(() => {});
      }
    });
    this.#flight = flight;
    return flight;
  }

  async #run(): Promise<TopologyChange> {
    const primaries: Endpoint[] = [];
    const replicas: Endpoint[] = [];
    for (const n of this.#nodes.values()) (n.role === 'primary' ? primaries : replicas).push(n);
    const candidates = [...shuffle(primaries), ...shuffle(replicas), ...shuffle(this.#seeds.map((s) => this.translate(s)))];
    const tried = new Set<string>();
    const errors: Error[] = [];
    for (const c of candidates) {
      const key = nodeKey(c);
      if (tried.has(key)) continue;
      tried.add(key);
      try {
        const reply = await this.#fetch(c);
        return this.apply(reply, c);
      } catch (err) {
        errors.push(err instanceof Error ? err : new Error(String(err)));
      }
    }
    throw new TopologyError(`Cannot refresh the slot map as no node answered CLUSTER SLOTS: tried ${[...tried].join(', ') || 'no node'}`, {
      cause: new AggregateError(errors, errors.map((e) => e.message).join('; ')),
    });
  }

  /**
   * Replaces the table with a `CLUSTER SLOTS` reply received from `from`
   * (whose host stands in for an empty announced endpoint). Throws TypeError
   * on a malformed reply. Returns what changed.
   */
  apply(reply: unknown, from: Endpoint): TopologyChange {
    if (!Array.isArray(reply)) throw new TypeError('Cannot read CLUSTER SLOTS as the reply is not an array');
    const nodes = new Map<string, NodeInfo>();
    const table = new Array<Shard | undefined>(SLOT_COUNT).fill(undefined);
    const node = (raw: unknown, role: NodeInfo['role']): NodeInfo => {
      if (!Array.isArray(raw) || raw.length < 2) throw new TypeError('Cannot read CLUSTER SLOTS as a node entry is malformed');
      const host = raw[0] === null || raw[0] === '' || raw[0] === '?' ? from.host : String(raw[0]);
      const port = Number(raw[1]);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`Cannot read CLUSTER SLOTS as a port is invalid: current value is ${String(raw[1])}`);
      const e = this.translate({ host, port });
      const key = nodeKey(e);
      const existing = nodes.get(key);
      if (existing !== undefined && (existing.role === 'primary' || role === 'replica')) return existing;
      const n: NodeInfo = { host: e.host, port: e.port, key, id: raw[2] == null ? '' : String(raw[2]), role };
      nodes.set(key, n);
      return n;
    };
    for (const range of reply) {
      if (!Array.isArray(range) || range.length < 3) throw new TypeError('Cannot read CLUSTER SLOTS as a range is malformed');
      const start = Number(range[0]);
      const end = Number(range[1]);
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end >= SLOT_COUNT || start > end) {
        throw new TypeError(`Cannot read CLUSTER SLOTS as a range is out of bounds: current value is ${String(range[0])}-${String(range[1])}`);
      }
      const primary = node(range[2], 'primary');
      const replicas: NodeInfo[] = [];
      for (let i = 3; i < range.length; i++) replicas.push(node(range[i], 'replica'));
      const shard: Shard = { primary, replicas };
      for (let s = start; s <= end; s++) table[s] = shard;
    }
    let movedSlots = 0;
    for (let s = 0; s < SLOT_COUNT; s++) {
      if (this.slots[s]?.primary.key !== table[s]?.primary.key) movedSlots++;
      this.slots[s] = table[s];
    }
    const added: NodeInfo[] = [];
    const removed: NodeInfo[] = [];
    for (const [k, n] of nodes) if (!this.#nodes.has(k)) added.push(n);
    for (const [k, n] of this.#nodes) if (!nodes.has(k)) removed.push(n);
    this.#nodes = nodes;
    this.#loaded = true;
    return { added, removed, movedSlots };
  }
}
