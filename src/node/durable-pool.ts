/**
 * Admitted means durable (issue 13 §2): the node's record of every admitted call and transaction, in
 * its own LMDB beside the chain's, written before the RPC answers and read back on restart.
 *
 * - intents (dev-signed calls and postcards): the call, its signer and, just before the block that
 *   carries it is applied, the transaction it became (`attempt`), so a restart can tell whether that
 *   block committed (its hash is in the block) or the intent must be queued again;
 * - client-signed transactions: their bytes, until a block settles them;
 * - call records (call-status.ts), by call id, kept for status queries.
 *
 * Every write is an LMDB put whose promise resolves once committed (batched per event-loop turn).
 */
import { open, type RootDatabase } from "lmdb";
import { toHex } from "../codec/bytes.ts";
import type { CallKind, CallRecord } from "./call-status.ts";

export interface PendingIntent {
  id: Uint8Array;
  signer: Uint8Array;
  /** SCALE `TxCall`. */
  call: Uint8Array;
  kind: CallKind;
  actor: number;
  admittedAt: number;
  /** The transaction it became for block `block` (written before that block is applied). */
  attempt?: { txHash: Uint8Array; block: number };
}

export interface DurablePool {
  /** False for the in-memory pool (no data dir): nothing survives the process, so callers may skip copies. */
  readonly persistent: boolean;
  /** Records an admitted intent and its `queued` record; resolves once both are on disk. */
  admitIntent(p: PendingIntent): Promise<void>;
  /** Records the transactions intents became for the next block; resolves once on disk. */
  attempt(items: ReadonlyArray<{ id: Uint8Array; txHash: Uint8Array; block: number }>): Promise<void>;
  /** The intent is settled: forget it as pending and record what became of it. */
  settleIntent(id: Uint8Array, record: CallRecord): void;
  /** Records an admitted client-signed transaction; resolves once on disk. */
  admitSigned(hash: Uint8Array, bytes: Uint8Array): Promise<void>;
  settleSigned(hash: Uint8Array): void;
  record(id: Uint8Array): CallRecord | undefined;
  pendingIntents(): PendingIntent[];
  pendingSigned(): Uint8Array[];
  close(): Promise<void>;
}

const bytes = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const own = (b: Uint8Array): Uint8Array => new Uint8Array(b);

/** Stored shapes carry Buffers; these give Uint8Arrays back. */
function fromStored(p: PendingIntent): PendingIntent {
  return {
    ...p,
    id: own(p.id),
    signer: own(p.signer),
    call: own(p.call),
    ...(p.attempt ? { attempt: { txHash: own(p.attempt.txHash), block: p.attempt.block } } : {}),
  };
}
function recordFromStored(r: CallRecord): CallRecord {
  if (r.state === "queued" && r.included)
    return { ...r, included: { ...r.included, txHash: own(r.included.txHash) } };
  return r;
}
function recordToStored(r: CallRecord): CallRecord {
  if (r.state === "queued" && r.included)
    return { ...r, included: { ...r.included, txHash: bytes(r.included.txHash) } };
  return r;
}

/**
 * @example
 * const durable = createDurablePool(join(dataDir, "pool")); // undefined: in memory (tests)
 * await durable.admitIntent({ id, signer, call, kind: "call", actor, admittedAt });
 */
export function createDurablePool(path: string | undefined): DurablePool {
  if (!path) return memoryPool();
  const db: RootDatabase = open({ path });
  const intents = new Map<string, PendingIntent>();
  for (const { value } of db.getRange({ start: ["intent"], end: ["intent\u0000"] })) {
    const p = fromStored(value as PendingIntent);
    intents.set(toHex(p.id), p);
  }
  const putIntent = (p: PendingIntent) =>
    db.put(["intent", toHex(p.id)], {
      ...p,
      id: bytes(p.id),
      signer: bytes(p.signer),
      call: bytes(p.call),
      ...(p.attempt ? { attempt: { txHash: bytes(p.attempt.txHash), block: p.attempt.block } } : {}),
    });
  return {
    persistent: true,
    async admitIntent(p) {
      intents.set(toHex(p.id), p);
      const rec: CallRecord = { state: "queued", kind: p.kind, actor: p.actor, admittedAt: p.admittedAt };
      await Promise.all([putIntent(p), db.put(["rec", toHex(p.id)], rec)]);
    },
    async attempt(items) {
      const writes: Promise<boolean>[] = [];
      for (const a of items) {
        const p = intents.get(toHex(a.id));
        if (!p) continue;
        const next = { ...p, attempt: { txHash: a.txHash, block: a.block } };
        intents.set(toHex(a.id), next);
        writes.push(putIntent(next));
      }
      await Promise.all(writes);
    },
    settleIntent(id, record) {
      intents.delete(toHex(id));
      void db.put(["rec", toHex(id)], recordToStored(record));
      void db.remove(["intent", toHex(id)]);
    },
    async admitSigned(hash, b) {
      await db.put(["signed", toHex(hash)], bytes(b));
    },
    settleSigned(hash) {
      void db.remove(["signed", toHex(hash)]);
    },
    record(id) {
      const r = db.get(["rec", toHex(id)]) as CallRecord | undefined;
      return r && recordFromStored(r);
    },
    pendingIntents: () => [...intents.values()],
    pendingSigned() {
      const out: Uint8Array[] = [];
      for (const { value } of db.getRange({ start: ["signed"], end: ["signed\u0000"] }))
        out.push(own(value as Uint8Array));
      return out;
    },
    close: () => db.close(),
  };
}

function memoryPool(): DurablePool {
  const intents = new Map<string, PendingIntent>();
  const records = new Map<string, CallRecord>();
  return {
    persistent: false,
    async admitIntent(p) {
      intents.set(toHex(p.id), p);
      records.set(toHex(p.id), { state: "queued", kind: p.kind, actor: p.actor, admittedAt: p.admittedAt });
    },
    async attempt(items) {
      for (const a of items) {
        const p = intents.get(toHex(a.id));
        if (p) intents.set(toHex(a.id), { ...p, attempt: { txHash: a.txHash, block: a.block } });
      }
    },
    settleIntent(id, record) {
      intents.delete(toHex(id));
      records.set(toHex(id), record);
    },
    // nothing to restore in memory: signed transactions are not kept twice
    async admitSigned() {},
    settleSigned() {},
    record: (id) => records.get(toHex(id)),
    pendingIntents: () => [...intents.values()],
    pendingSigned: () => [],
    close: async () => {},
  };
}
