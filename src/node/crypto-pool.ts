/**
 * The node's signature pool: ed25519 signing and verification of a block's transactions on worker
 * threads, so a block of thousands of signed calls uses every core rather than the main thread alone.
 * The workers run exactly what src/crypto/ed25519.ts runs in-thread: node:crypto's ed25519 (OpenSSL) to
 * sign, with one KeyObject per key, created once, and libsodium to verify. Small batches stay in-thread
 * (a round trip costs more than a few signatures); a worker that fails is not trusted with anything: its
 * share is redone in-thread.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { SignatureCheck } from "../chain/index.ts";
import { sign, verify } from "../crypto/ed25519.ts";

/** Below this many items a batch is done in-thread. */
const MIN_BATCH = 64;

export interface SignJob {
  /** The signer's 32-byte ed25519 seed (`Keypair.secretKey`). */
  seed: Uint8Array;
  message: Uint8Array;
}

export interface ShareOptions {
  /**
   * Whether the calling thread takes a share of the batch while the workers run. Right when it would
   * only wait and a core is free; wrong when it has other work (delayed by its share) or when the workers
   * already use every core (measured on 2 cores, 2 workers: a node's calls/s went up ~10% for dev-signed
   * and ~45% for client-signed transactions without the share). Default: only when there are more CPUs
   * than workers.
   */
  share?: boolean;
}

export interface CryptoPool {
  readonly size: number;
  /** 64-byte signatures, in order. */
  sign(jobs: readonly SignJob[], opts?: ShareOptions): Promise<Uint8Array[]>;
  /** Whether each signature verifies, in order. */
  verify(checks: readonly SignatureCheck[], opts?: ShareOptions): Promise<boolean[]>;
  /**
   * Whether each signed item verifies, in order: an item is the signer's 32-byte public key, what it
   * signs, then the 64-byte signature, and the signed message is `domain ‖ the item without its
   * signature` (a transaction's layout, src/chain/tx.ts `verifyTxsWhole`). Items are sent as they are:
   * no message is made here. An item shorter than key and signature is `false`.
   */
  verifySigned(items: readonly Uint8Array[], domain: Uint8Array, opts?: ShareOptions): Promise<boolean[]>;
  close(): Promise<void>;
}

/** Where this package's sodium-native is: an `eval` worker's `require` resolves from the process's cwd. */
const SODIUM = createRequire(import.meta.url).resolve("sodium-native");

// Plain CommonJS run with `eval`, so a worker starts in milliseconds (no TypeScript hooks to load).
// Verification is libsodium's, as in src/crypto/ed25519.ts `verify` (one rule on every path).
// Requests carry many items packed in a few buffers: keys (32 bytes each), signatures (64 bytes each)
// and messages back to back with their end offsets.
const WORKER = `
const { parentPort } = require("node:worker_threads");
const crypto = require("node:crypto");
const sodium = require(${JSON.stringify(SODIUM)});
const PKCS8 = Buffer.from("302e020100300506032b657004220420", "hex");
const keys = new Map();
function privateKey(seed) {
  const k = Buffer.from(seed).toString("latin1");
  let key = keys.get(k);
  if (!key) {
    key = crypto.createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: "der", type: "pkcs8" });
    if (keys.size > 10000) keys.clear();
    keys.set(k, key);
  }
  return key;
}
parentPort.on("message", (m) => {
  const n = m.ends.length;
  let at = 0;
  if (m.op === "sign") {
    const out = new Uint8Array(n * 64);
    for (let i = 0; i < n; i++) {
      const key = privateKey(m.keys.subarray(m.keyOf[i] * 32, m.keyOf[i] * 32 + 32));
      out.set(crypto.sign(null, m.data.subarray(at, m.ends[i]), key), i * 64);
      at = m.ends[i];
    }
    parentPort.postMessage({ id: m.id, out }, [out.buffer]);
  } else if (m.op === "verifySigned") {
    // each item: key (32) ‖ signed bytes ‖ signature (64); the message is domain ‖ key ‖ signed bytes
    const out = new Uint8Array(n);
    const d = m.domain.length;
    let msg = Buffer.alloc(1024);
    msg.set(m.domain);
    for (let i = 0; i < n; i++) {
      const item = m.data.subarray(at, m.ends[i]);
      at = m.ends[i];
      const body = item.length - 64;
      if (body < 32) continue; // 0: not a signed item
      if (d + body > msg.length) {
        msg = Buffer.alloc(2 * (d + body));
        msg.set(m.domain);
      }
      msg.set(item.subarray(0, body), d);
      try {
        const ok = sodium.crypto_sign_verify_detached(item.subarray(body), msg.subarray(0, d + body), item.subarray(0, 32));
        out[i] = ok ? 1 : 0;
      } catch {
        out[i] = 2;
      }
    }
    parentPort.postMessage({ id: m.id, out }, [out.buffer]);
  } else {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const msg = m.data.subarray(at, m.ends[i]);
      at = m.ends[i];
      try {
        const ok = sodium.crypto_sign_verify_detached(
          m.sigs.subarray(i * 64, i * 64 + 64), msg, m.keys.subarray(i * 32, i * 32 + 32));
        out[i] = ok ? 1 : 0;
      } catch {
        out[i] = 2; // not judged here: the caller decides in-thread
      }
    }
    parentPort.postMessage({ id: m.id, out }, [out.buffer]);
  }
});
`;

interface Slot {
  worker: Worker;
  broken: boolean;
  waiting: Map<number, (out: Uint8Array | undefined) => void>;
}

/** Packs messages back to back; `ends[i]` is where message i ends. */
function pack(messages: readonly Uint8Array[]): { data: Uint8Array<ArrayBuffer>; ends: Uint32Array } {
  let n = 0;
  for (const m of messages) n += m.length;
  const data = new Uint8Array(n);
  const ends = new Uint32Array(messages.length);
  let at = 0;
  for (const [i, m] of messages.entries()) {
    data.set(m, at);
    at += m.length;
    ends[i] = at;
  }
  return { data, ends };
}

/** The check a signed item stands for (see `CryptoPool.verifySigned`); `undefined` when too short. */
function signedCheck(item: Uint8Array, domain: Uint8Array): SignatureCheck | undefined {
  const body = item.length - 64;
  if (body < 32) return undefined;
  const message = new Uint8Array(domain.length + body);
  message.set(domain);
  message.set(item.subarray(0, body), domain.length);
  return { publicKey: item.subarray(0, 32), message, signature: item.subarray(body) };
}

/**
 * Starts `size` signature workers (default: one per CPU, at most 4); `size` 0 does everything in-thread.
 *
 * @example
 * const pool = createCryptoPool();
 * const ok = await pool.verify([{ publicKey, message, signature }]);
 * await pool.close();
 */
export function createCryptoPool(size = Math.min(4, availableParallelism())): CryptoPool {
  let nextId = 1;
  let closed = false;
  const slots: Slot[] = [];
  for (let i = 0; i < size; i++) {
    // no execArgv: the parent's `--import` hooks are not needed by this plain script
    const worker = new Worker(WORKER, { eval: true, execArgv: [] });
    worker.unref();
    const slot: Slot = { worker, broken: false, waiting: new Map() };
    const fail = () => {
      slot.broken = true;
      for (const done of slot.waiting.values()) done(undefined);
      slot.waiting.clear();
    };
    worker.on("message", (m: { id: number; out: Uint8Array }) => {
      const done = slot.waiting.get(m.id);
      slot.waiting.delete(m.id);
      done?.(m.out);
    });
    worker.on("error", fail);
    worker.on("exit", fail);
    slots.push(slot);
  }
  const live = () => (closed ? [] : slots.filter((s) => !s.broken));
  const spareCpu = availableParallelism() > size;

  function ask(
    slot: Slot,
    msg: Record<string, unknown>,
    transfer: ArrayBuffer[],
  ): Promise<Uint8Array | undefined> {
    const id = nextId++;
    return new Promise((done) => {
      slot.waiting.set(id, done);
      try {
        slot.worker.postMessage({ id, ...msg }, transfer);
      } catch {
        slot.waiting.delete(id);
        done(undefined);
      }
    });
  }

  /**
   * Splits `n` items into one contiguous range per live worker and, when `share`, a last range (`here`)
   * this thread does itself while the workers run (when the calling thread would otherwise only wait).
   */
  function ranges(
    n: number,
    share: boolean,
  ): { parts: Array<{ slot: Slot; from: number; to: number }>; here: number } {
    const ws = live();
    const per = Math.ceil(n / (ws.length + (share ? 1 : 0)));
    const parts = ws
      .map((slot, i) => ({ slot, from: i * per, to: Math.min(n, (i + 1) * per) }))
      .filter((r) => r.from < r.to);
    return { parts, here: Math.min(n, ws.length * per) };
  }

  const signHere = (j: SignJob) => sign(j.message, j.seed);
  const verifyHere = (c: SignatureCheck) => verify(c.signature, c.message, c.publicKey);
  /** A worker's answer on one check: 0 no, 1 yes; anything else (2, or no answer) is decided here. */
  const judged = (v: number | undefined): boolean | undefined =>
    v === 0 ? false : v === 1 ? true : undefined;
  const verifySignedHere = (item: Uint8Array, domain: Uint8Array) => {
    const c = signedCheck(item, domain);
    return c !== undefined && verifyHere(c);
  };

  /**
   * Runs `items` in one contiguous part per live worker (`onWorker` answers a part's results) and, when
   * `share`, a last part in this thread while they run; a small batch, or no live worker, all in-thread.
   */
  async function spread<T, R>(
    items: readonly T[],
    share: boolean | undefined,
    here: (item: T) => R,
    onWorker: (slot: Slot, part: readonly T[]) => Promise<R[]>,
  ): Promise<R[]> {
    if (items.length < MIN_BATCH || live().length === 0) return items.map(here);
    const out = new Array<R>(items.length);
    const { parts, here: mine } = ranges(items.length, share ?? spareCpu);
    // each part is posted before its first await, so the workers start before this thread's share
    const workers = Promise.all(
      parts.map(async ({ slot, from, to }) => {
        const r = await onWorker(slot, items.slice(from, to));
        for (let i = 0; i < r.length; i++) out[from + i] = r[i] as R;
      }),
    );
    for (let i = mine; i < items.length; i++) out[i] = here(items[i] as T);
    await workers;
    return out;
  }

  return {
    size,
    sign: (jobs, opts) =>
      spread(jobs, opts?.share, signHere, async (slot, part) => {
        // one copy of each key per request: by array first (a signer's key is usually one array), then
        // by content
        const byArray = new Map<Uint8Array, number>();
        const seeds = new Map<string, number>();
        const keyOf = new Uint32Array(part.length);
        for (const [i, j] of part.entries()) {
          let at = byArray.get(j.seed);
          if (at === undefined) {
            const k = Buffer.from(j.seed.buffer, j.seed.byteOffset, j.seed.byteLength).toString("latin1");
            at = seeds.get(k);
            if (at === undefined) {
              at = seeds.size;
              seeds.set(k, at);
            }
            byArray.set(j.seed, at);
          }
          keyOf[i] = at;
        }
        const keys = new Uint8Array(seeds.size * 32);
        for (const [k, at] of seeds) keys.set(Buffer.from(k, "latin1"), at * 32);
        const { data, ends } = pack(part.map((j) => j.message));
        const r = part.every((j) => j.seed.length === 32)
          ? await ask(slot, { op: "sign", keys, keyOf, data, ends }, [data.buffer])
          : undefined;
        return part.map((j, i) => (r ? r.slice(i * 64, i * 64 + 64) : signHere(j)));
      }),
    verify: (checks, opts) =>
      spread(checks, opts?.share, verifyHere, async (slot, part) => {
        // malformed sizes are decided in-thread (verify refuses them)
        const sized = part.every((c) => c.publicKey.length === 32 && c.signature.length === 64);
        let r: Uint8Array | undefined;
        if (sized) {
          const keys = new Uint8Array(part.length * 32);
          const sigs = new Uint8Array(part.length * 64);
          for (const [i, c] of part.entries()) {
            keys.set(c.publicKey, i * 32);
            sigs.set(c.signature, i * 64);
          }
          const { data, ends } = pack(part.map((c) => c.message));
          r = await ask(slot, { op: "verify", keys, sigs, data, ends }, [data.buffer]);
        }
        return part.map((c, i) => judged(r?.[i]) ?? verifyHere(c));
      }),
    verifySigned: (items, domain, opts) =>
      spread(
        items,
        opts?.share,
        (item) => verifySignedHere(item, domain),
        async (slot, part) => {
          const { data, ends } = pack(part);
          const r = await ask(slot, { op: "verifySigned", domain, data, ends }, [data.buffer]);
          return part.map((item, i) => judged(r?.[i]) ?? verifySignedHere(item, domain));
        },
      ),
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
