/**
 * The node's own LMDB (beside the chain's): per-actor logs, block summaries and PoV bytes for the RPC
 * API. Informational only: the chain's database is the canonical state. Written right after each block
 * commits; a crash in between loses at most that block's summary and logs.
 *
 * lmdb-js commits a `put` asynchronously and a `get` sees it only after the commit, so every record
 * written is also kept in memory until its commit (and overlaid on ranges): a block's summary and logs
 * are readable from the moment the chain's head moves (`chain_v1_head` once showed `timestamp: 0,
 * povs: []` for the newest block).
 *
 * Pruning (`prune(below)`): PoV bytes and relay views of PoVs built before block `below`, and those
 * blocks' summaries, are deleted; a pruned PoV keeps its summary as a tombstone, so the RPC can say
 * "pruned" rather than "unknown".
 */
import { open, type RootDatabase } from "lmdb";
import type { BlockJson, LogJson, PovJson } from "../rpc/types.ts";

/** A stored PoV: its bytes, or only its summary once pruned. */
export type StoredPov =
  | { pruned: false; bytes: Uint8Array; summary: PovJson }
  | { pruned: true; summary: PovJson };

export interface NodeDb {
  putBlock(b: BlockJson): void;
  block(n: number): BlockJson | undefined;
  putLogs(logs: LogJson[]): void;
  logs(actor: number, fromBlock: number, limit: number): LogJson[];
  /** Stores a PoV built on `summary.relayParent` (the block pruning counts it in). */
  putPov(id: string, bytes: Uint8Array, summary: PovJson): void;
  pov(id: string): StoredPov | undefined;
  putPovSummary(id: string, summary: PovJson): void;
  /** The SCALE relay view a PoV was validated against, by PoV id (for `chain_v1_validatePov`). */
  putView(id: string, view: Uint8Array): void;
  view(id: string): Uint8Array | undefined;
  /** Deletes the PoV bytes, views and summaries of blocks below `below`; returns how many PoVs it pruned. */
  prune(below: number): number;
  /** Blocks below this were pruned (0: none). */
  prunedBelow(): number;
  close(): Promise<void>;
}

/** What one record is stored as (PoV bytes apart from its summary would need a second key; kept as was). */
type PovRecord = { bytes?: Uint8Array; summary: PovJson };

/** A key-value store with the few operations the node's records need. */
interface Kv {
  get(key: (string | number)[]): unknown;
  put(key: (string | number)[], value: unknown): void;
  del(key: (string | number)[]): void;
  /** Keys and values with `start <= key < end`, in key order. */
  range(start: (string | number)[], end: (string | number)[]): Iterable<{ key: unknown[]; value: unknown }>;
  close(): Promise<void>;
}

export function createNodeDb(path: string | undefined): NodeDb {
  return nodeDbOn(path ? lmdbKv(path) : memoryKv());
}

function nodeDbOn(kv: Kv): NodeDb {
  let logSeq = 0;
  const pov = (id: string) => kv.get(["pov", id]) as PovRecord | undefined;
  const self: NodeDb = {
    putBlock: (b) => kv.put(["block", b.number], b),
    block: (n) => kv.get(["block", n]) as BlockJson | undefined,
    putLogs(logs) {
      for (const l of logs) kv.put(["log", l.actor, l.block, logSeq++], l.line);
    },
    logs(actor, fromBlock, limit) {
      const out: LogJson[] = [];
      for (const { key, value } of kv.range(["log", actor, fromBlock], ["log", actor + 1])) {
        out.push({ actor, block: key[2] as number, line: value as string });
      }
      return out.slice(-limit);
    },
    putPov(id, bytes, summary) {
      kv.put(["pov", id], { bytes: Buffer.from(bytes), summary });
      kv.put(["povAt", summary.relayParent, id], 1);
    },
    pov(id) {
      const v = pov(id);
      if (!v) return undefined;
      return v.bytes
        ? { pruned: false, bytes: new Uint8Array(v.bytes), summary: v.summary }
        : { pruned: true, summary: v.summary };
    },
    putPovSummary(id, summary) {
      const v = pov(id);
      if (v) kv.put(["pov", id], v.bytes ? { bytes: v.bytes, summary } : { summary });
    },
    putView: (id, view) => kv.put(["view", id], Buffer.from(view)),
    view(id) {
      const v = kv.get(["view", id]) as Uint8Array | undefined;
      return v && new Uint8Array(v);
    },
    prune(below) {
      const from = self.prunedBelow();
      if (below <= from) return 0;
      let n = 0;
      for (const { key } of [...kv.range(["povAt", from], ["povAt", below])]) {
        const id = key[2] as string;
        const v = pov(id);
        if (v) kv.put(["pov", id], { summary: v.summary });
        kv.del(["view", id]);
        kv.del(key as (string | number)[]);
        n++;
      }
      for (let b = from; b < below; b++) kv.del(["block", b]);
      kv.put(["meta", "prunedBelow"], below);
      return n;
    },
    prunedBelow: () => (kv.get(["meta", "prunedBelow"]) as number | undefined) ?? 0,
    close: () => kv.close(),
  };
  return self;
}

/** Key order as lmdb-js sorts array keys: part by part, numbers before strings, a prefix first. */
function before(a: (string | number)[], b: (string | number)[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === typeof y) return x < y;
    return typeof x === "number";
  }
  return a.length < b.length;
}

/** LMDB, with writes readable before they commit (see the file's comment). */
function lmdbKv(path: string): Kv {
  const db: RootDatabase = open({ path });
  const DELETED = Symbol("deleted");
  const pending = new Map<string, { key: (string | number)[]; value: unknown }>();
  const remember = (key: (string | number)[], value: unknown, write: Promise<unknown>) => {
    const k = JSON.stringify(key);
    const entry = { key, value };
    pending.set(k, entry);
    const done = () => pending.get(k) === entry && pending.delete(k);
    void write.then(done, done);
  };
  return {
    get(key) {
      const k = JSON.stringify(key);
      const p = pending.get(k);
      if (p) return p.value === DELETED ? undefined : p.value;
      return db.get(key);
    },
    put: (key, value) => remember(key, value, db.put(key, value)),
    del: (key) => remember(key, DELETED, db.remove(key)),
    range(start, end) {
      const committed = [...db.getRange({ start, end })] as { key: (string | number)[]; value: unknown }[];
      if (pending.size === 0) return committed;
      // overlay what is written but not yet committed (one block's records at most)
      const all = new Map(committed.map((e) => [JSON.stringify(e.key), e]));
      for (const [k, e] of pending) {
        if (before(e.key, start) || !before(e.key, end)) continue;
        if (e.value === DELETED) all.delete(k);
        else all.set(k, e);
      }
      return [...all.values()].sort((a, b) => (before(a.key, b.key) ? -1 : 1));
    },
    close: () => db.close(),
  };
}

/**
 * In memory (tests, and a node without a data dir). Entries are bucketed by their first two key parts,
 * so the node's ranges (one actor's logs, a few blocks' PoVs) read only their buckets.
 */
function memoryKv(): Kv {
  type Entry = { key: (string | number)[]; value: unknown };
  const buckets = new Map<string, Map<string, Entry>>();
  const bucketOf = (key: (string | number)[]) => `${key[0]}/${key[1]}`;
  return {
    get: (key) => buckets.get(bucketOf(key))?.get(JSON.stringify(key))?.value,
    put(key, value) {
      const b = bucketOf(key);
      if (!buckets.has(b)) buckets.set(b, new Map());
      buckets.get(b)!.set(JSON.stringify(key), { key, value });
    },
    del(key) {
      const b = buckets.get(bucketOf(key));
      b?.delete(JSON.stringify(key));
      if (b?.size === 0) buckets.delete(bucketOf(key));
    },
    range(start, end) {
      // The node's ranges: same first part, and a numeric second part from start's to end's.
      const lo = start[1] as number;
      const hi = end[1] as number;
      const out: Entry[] = [];
      for (let k = lo; k <= hi; k++) {
        for (const e of buckets.get(`${start[0]}/${k}`)?.values() ?? []) {
          if (!before(e.key, start) && before(e.key, end)) out.push(e);
        }
      }
      return out.sort((a, b) => (before(a.key, b.key) ? -1 : 1));
    },
    close: async () => {},
  };
}
