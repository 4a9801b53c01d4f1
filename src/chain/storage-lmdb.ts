/**
 * {@link Storage} on LMDB (npm `lmdb`) for the node. Each block is one `transactionSync`, so a crash
 * leaves the last whole block on disk and nothing half-applied.
 */
import { open, type RootDatabase } from "lmdb";
import type { KvRead, KvWrite, Storage } from "./storage.ts";
import { createTransactionGate, StorageError } from "./storage.ts";

const asBuffer = (k: Uint8Array): Buffer => Buffer.from(k.buffer, k.byteOffset, k.byteLength);

/** The first key after every key that starts with `prefix`, or undefined when there is none. */
function prefixEnd(prefix: Uint8Array): Buffer | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

/**
 * Opens (or creates) an LMDB environment at `path`.
 *
 * @example
 * const storage = createLmdbStorage({ path: ".coreplay/chain" });
 * const chain = createChain({ storage, engine, config });
 * await storage.close();
 */
export function createLmdbStorage(opts: { path: string }): Storage {
  let db: RootDatabase<Buffer, Buffer>;
  try {
    db = open<Buffer, Buffer>({ path: opts.path, keyEncoding: "binary", encoding: "binary" });
  } catch (cause) {
    throw new StorageError("Cannot open the chain database", {
      code: "STORAGE_OPEN_FAILED",
      details: `${opts.path}: ${(cause as Error).message}`,
      hint: "check that the directory is writable and not opened by another process",
      cause,
    });
  }
  const gate = createTransactionGate();
  let closed = false;
  const check = () => {
    if (closed) throw new StorageError("Storage is closed", { code: "STORAGE_CLOSED" });
  };
  const read: KvRead = {
    get(k) {
      check();
      const v = db.get(asBuffer(k));
      return v === undefined ? undefined : new Uint8Array(v);
    },
    *scan(prefix) {
      check();
      const start = asBuffer(prefix);
      const end = prefixEnd(prefix);
      for (const { key, value } of db.getRange(end ? { start, end } : { start })) {
        const k = key as Buffer;
        if (!k.subarray(0, start.length).equals(start)) break;
        yield [new Uint8Array(k), new Uint8Array(value)];
      }
    },
  };
  const write: KvWrite = {
    ...read,
    put(k, v) {
      db.putSync(asBuffer(k), Buffer.from(v));
    },
    del(k) {
      db.removeSync(asBuffer(k));
    },
  };
  return {
    ...read,
    transaction(fn) {
      check();
      // LMDB aborts the write transaction when the callback throws.
      return gate(() => db.transactionSync(() => fn(write)));
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
