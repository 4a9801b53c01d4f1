/**
 * The node's transaction pool. It holds two kinds of transactions, in arrival order:
 *
 * - **dev intents** (`node.submit`): RPC users who hold no key. The dev node signs them with a dev
 *   account *when the block is built*, so nonces are always consecutive even when an earlier
 *   transaction was refused (chain nonces are strict: a gap would refuse every later one of that signer).
 * - **signed transactions** (`node.submitSigned`): signed by a client with its own key and nonces.
 *   Admission decodes them strictly and checks their nonce against the chain at once; their signatures
 *   are verified in batches (one per event-loop turn, or sooner when a batch is full) by `verify`, so
 *   verification overlaps whatever else the node does. A bad signature is refused as soon as its batch
 *   returns; only verified transactions are ever taken into a block. A signer's transactions are taken in
 *   nonce order: a future nonce waits in the pool for the ones before it.
 */
import {
  type DecodedTx,
  decodeTxUnverified,
  type TxApplied,
  type TxCall,
  TxError,
  type TxErrorCode,
} from "../chain/index.ts";
import { bytesEqual, toHex } from "../codec/bytes.ts";
import type { AccountId, Hash } from "../codec/ids.ts";
import type { Keypair } from "../crypto/ed25519.ts";

/** What a block did with a transaction: applied (with its hash and block number) or refused. */
export type TxOutcome =
  | { ok: true; value: TxApplied & { hash: Hash; block: number } }
  | { ok: false; error: TxError };

export interface Intent {
  signer: Keypair;
  call: TxCall;
  /** The call id given at admission (durable intents: see durable-pool.ts). */
  id?: Uint8Array;
  /** Settles once a block included or refused the transaction. */
  done(r: TxOutcome): void;
}

/** A client-signed transaction in the pool (itself a pool item). */
export interface SignedEntry {
  readonly kind: "signed";
  /** The pool's own copy of the bytes (possibly a view into a chunk shared with other transactions). */
  readonly bytes: Uint8Array;
  /** Its strict decoding at admission, byte fields viewing `bytes` (handed to the block: BlockInput.decoded). */
  readonly decoded: DecodedTx;
  readonly hash: Hash;
  readonly signer: AccountId;
  /** The signer as a map key ({@link signerKey}). */
  readonly key: string;
  readonly nonce: bigint;
  /** `true` once its signature verified; until then it is never taken. */
  verified: boolean;
  /** The pool's `take` count at admission (future nonces expire `futureTtl` takes later). */
  readonly since: number;
  readonly admitted?: (hash: Hash) => void;
  /** Settles the transaction (and takes it out of the pool's nonce index). */
  done(r: TxOutcome): void;
}

export type PoolItem = { kind: "dev"; intent: Intent } | SignedEntry;

export interface TxPoolOptions {
  /** Verifies a batch of signed transactions: per transaction, whether its signature is valid. */
  verify(txs: Uint8Array[], hashes: Hash[]): Promise<boolean[]>;
  /** A signer's current chain nonce (admission refuses lower ones; remembered until `chainMoved`). */
  nonceOf(signer: AccountId): bigint;
  /** A batch is sent as soon as it holds this many transactions (default 512). */
  batch?: number;
  /** Most transactions the pool holds (default 100 000): beyond, admission refuses. */
  capacity?: number;
  /**
   * A signer's free balance (admission refuses a transaction whose fee, with the fees of the signer's
   * transactions already pending, it cannot pay; remembered until `chainMoved`). Default: no check.
   */
  balanceOf?(signer: AccountId): bigint;
  /**
   * Most signed transactions one signer may have pending (default capacity / 16): one signer cannot
   * crowd out the others, and a signer with nothing pending is admitted even into a full pool (up to
   * `capacity + perSigner`).
   */
  perSigner?: number;
  /** A nonce at most this far above the signer's chain nonce plus its pending transactions (default 1024). */
  maxAhead?: number;
  /** Blocks (`take`s) a future-nonce transaction may wait for the nonces before it (default 32). */
  futureTtl?: number;
  /** Called when a batch of signatures verified (a block may now take them). */
  onVerified?(): void;
}

export interface TxPool {
  add(intent: Intent): void;
  /**
   * Admits a client-signed transaction: refused at once (rejected promise, typed `TxError`) when
   * malformed, stale, already pending or when the pool is full; later when its signature is bad;
   * otherwise settled by a block like an intent. `admitted` is called once its signature verified.
   * `bytes` is copied.
   */
  addSigned(
    bytes: Uint8Array,
    done: (r: TxOutcome) => void,
    admitted?: (hash: Hash) => void,
  ): TxError | undefined;
  /** Sends the signatures waiting for a batch now; resolves once every batch sent so far returned. */
  verified(): Promise<void>;
  /**
   * Takes up to `max` transactions for a block, oldest first, each signer's signed transactions in
   * nonce order from `nonceOf` on; dev intents take the next nonce of their signer (`nonce`). Signed
   * transactions with a future nonce, or not yet verified, stay in the pool; stale ones are refused.
   */
  take(
    max: number,
    nonceOf: (signer: AccountId) => bigint,
  ): Array<{ item: PoolItem; nonce: bigint; signer: AccountId }>;
  /** Puts items back at the front, in order (they were not decided in this block). */
  putBack(items: PoolItem[]): void;
  /**
   * Takes out the pending signed transactions a block produced elsewhere included (a network node's
   * import), matched by signer, nonce and hash, and settles each with `outcome(i)` (`i` its index in
   * `txs`). Returns how many it settled.
   */
  includedElsewhere(txs: Array<DecodedTx | undefined>, outcome: (i: number) => TxOutcome): number;
  readonly size: number;
  /** The chain applied a block (or was reverted): the nonces admission remembered are stale. */
  chainMoved(): void;
  /** The nonce after `from` and the signer's consecutive signed transactions pending from it. */
  nextNonce(signer: AccountId, from: bigint): bigint;
  /**
   * Whether a block would find something new: transactions added, verified or put back since the last
   * `take`, or left over by a full block. Signed transactions waiting for a missing nonce are not.
   */
  readonly ready: boolean;
}

/** A signer as a map key: its 32 bytes as a latin1 string (cheaper than hex). */
export const signerKey = (a: Uint8Array): string =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("latin1");

const refuse = (code: TxErrorCode, msg: string, details?: string) => new TxError(code, msg, details);

/**
 * Admitted bytes are copied into chunks shared by many transactions: one allocation per chunk rather
 * than one per transaction (a buffer above 64 bytes is a native allocation each). A transaction that
 * stays in the pool past a block gets bytes of its own ({@link Entry.own}), so a chunk is never kept
 * alive by one waiting transaction for long.
 */
const CHUNK = 64 * 1024;
/** Larger transactions get their own copy. */
const CHUNKED_MAX = 1024;

class Chunks {
  private chunk = new Uint8Array(CHUNK);
  private used = 0;
  /** A copy of `input`. */
  copy(input: Uint8Array): Uint8Array {
    const n = input.length;
    if (n > CHUNKED_MAX) return input.slice();
    if (this.used + n > CHUNK) {
      this.chunk = new Uint8Array(CHUNK);
      this.used = 0;
    }
    const out = this.chunk.subarray(this.used, this.used + n);
    out.set(input);
    this.used += n;
    return out;
  }
  /** Gives back the space of the last copy (refused at admission). */
  undo(last: Uint8Array): void {
    if (last.buffer === this.chunk.buffer && last.byteOffset + last.length === this.used) {
      this.used = last.byteOffset;
    }
  }
}

/** A nonce as a map key: a number when exact (a bigint key is hashed by value, several times slower). */
type NonceKey = number | bigint;
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
const nonceKey = (n: bigint): NonceKey => (n <= MAX_EXACT ? Number(n) : n);

/** A client-signed transaction in the pool; settling it takes it out of its pool's nonce index. */
class Entry implements SignedEntry {
  readonly kind = "signed" as const;
  verified = false;
  constructor(
    public bytes: Uint8Array,
    public decoded: DecodedTx,
    readonly key: string,
    readonly since: number,
    private readonly settle: (r: TxOutcome) => void,
    readonly admitted: ((hash: Hash) => void) | undefined,
    private readonly forget: (t: Entry) => void,
  ) {}
  get hash(): Hash {
    return this.decoded.hash;
  }
  get signer(): AccountId {
    return this.decoded.payload.signer;
  }
  get nonce(): bigint {
    return this.decoded.payload.nonce;
  }
  /** Set once settled (a network node's import may settle it before its signature check returns). */
  settled = false;
  done(r: TxOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.forget(this);
    this.settle(r);
  }
  /** Bytes of its own, no longer a view into a shared chunk (for a transaction that waits). */
  own(): void {
    if (this.bytes.byteLength === this.bytes.buffer.byteLength) return;
    const bytes = this.bytes.slice();
    const d = decodeTxUnverified(bytes, { views: true });
    if (!d.ok) return; // the same bytes decoded at admission
    this.bytes = bytes;
    this.decoded = d.value;
  }
}

export function createTxPool(opts: TxPoolOptions): TxPool {
  const batchMax = opts.batch ?? 512;
  const capacity = opts.capacity ?? 100_000;
  const perSigner = opts.perSigner ?? Math.max(64, Math.floor(capacity / 16));
  const maxAhead = BigInt(opts.maxAhead ?? 1024);
  const futureTtl = opts.futureTtl ?? 32;
  let takes = 0;
  /** Fees of each signer's pending signed transactions (what its balance must cover at admission). */
  const owed = new Map<string, bigint>();
  /** Free balances read by admission since the chain last moved. */
  const balances = new Map<string, bigint>();
  let queue: PoolItem[] = [];
  /** Signed transactions not yet settled, by signer then nonce (duplicates are refused). */
  const bySigner = new Map<string, Map<NonceKey, SignedEntry>>();
  let fresh = 0;
  /** Chain nonces read by admission since the chain last moved (a read decodes an account record). */
  const nonces = new Map<string, bigint>();
  const forget = (t: Entry) => {
    const m = bySigner.get(t.key);
    const n = nonceKey(t.nonce);
    if (m?.get(n) !== t) return;
    const o = (owed.get(t.key) ?? 0n) - t.decoded.payload.fee;
    if (o > 0n) owed.set(t.key, o);
    else owed.delete(t.key);
    m.delete(n);
    if (m.size === 0) bySigner.delete(t.key);
  };
  const chunks = new Chunks();
  // A client usually sends many transactions in a row: its key string is made once.
  let lastSigner = new Uint8Array(0);
  let lastKey = "";
  const keyOf = (signer: Uint8Array): string => {
    if (!bytesEqual(signer, lastSigner)) {
      lastSigner = signer.slice();
      lastKey = signerKey(signer);
    }
    return lastKey;
  };

  // Verification batches: the one being filled, and those sent and not yet returned.
  let batch: SignedEntry[] = [];
  let flushQueued = false;
  const inFlight = new Set<Promise<void>>();
  function send() {
    flushQueued = false;
    if (batch.length === 0) return;
    const b = batch;
    batch = [];
    const p = opts
      .verify(
        b.map((t) => t.bytes),
        b.map((t) => t.hash),
      )
      .then(
        (ok) => {
          const bad = b.filter((_, i) => ok[i] !== true);
          reject(bad, () => refuse("TX_BAD_SIGNATURE", "Bad transaction signature"));
          for (let i = 0; i < b.length; i++) {
            if (ok[i] !== true) continue;
            const t = b[i] as SignedEntry;
            t.verified = true;
            if (t instanceof Entry && t.settled) continue;
            try {
              t.admitted?.(t.hash);
            } catch {
              // the caller's callback: its failure is its own
            }
          }
          if (bad.length < b.length) {
            fresh++;
            opts.onVerified?.();
          }
        },
        (e: unknown) => {
          // the verifier itself failed: nothing was checked, nothing is trusted
          const why = e instanceof Error ? e.message : String(e);
          reject(b, () => refuse("TX_BAD_SIGNATURE", "Signature not checked", why));
        },
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  /** Takes signed transactions out of the pool and refuses them. */
  function reject(ts: SignedEntry[], error: () => TxError) {
    if (ts.length === 0) return;
    const out = new Set<PoolItem>(ts);
    queue = queue.filter((i) => !out.has(i));
    for (const t of ts) t.done({ ok: false, error: error() });
  }

  /** Admits a decoded transaction, or says why not. */
  function admit(
    bytes: Uint8Array,
    d: DecodedTx,
    done: (r: TxOutcome) => void,
    admitted: ((hash: Hash) => void) | undefined,
  ): TxError | undefined {
    const { signer, nonce } = d.payload;
    const key = keyOf(signer);
    let now = nonces.get(key);
    if (now === undefined) {
      if (nonces.size >= capacity) nonces.clear();
      now = opts.nonceOf(signer);
      nonces.set(key, now);
    }
    if (nonce < now) {
      return refuse("TX_STALE_NONCE", "Stale nonce (replay)", `nonce ${nonce} < ${now}`);
    }
    let m = bySigner.get(key);
    const mine = m?.size ?? 0;
    // issue 13 §2: the pool is shared per signer; a full pool still admits a signer with nothing pending
    if (mine > 0 && queue.length >= capacity) {
      return refuse("TX_QUEUE_FULL", "Transaction pool full", `${queue.length} transactions waiting`);
    }
    if (mine >= perSigner) {
      return refuse(
        "TX_SIGNER_LIMIT",
        "Too many pending transactions of this signer",
        `${perSigner} pending`,
      );
    }
    if (nonce - now - BigInt(mine) >= maxAhead) {
      return refuse(
        "TX_SIGNER_LIMIT",
        "Nonce too far ahead",
        `nonce ${nonce} ≥ ${now} + ${mine} pending + ${maxAhead}`,
      );
    }
    // issue 13 §2: a signer that cannot pay the fee (with those it already owes) is refused at once
    const fee = d.payload.fee;
    if (opts.balanceOf) {
      let free = balances.get(key);
      if (free === undefined) {
        if (balances.size >= capacity) balances.clear();
        free = opts.balanceOf(signer);
        balances.set(key, free);
      }
      const due = (owed.get(key) ?? 0n) + fee;
      if (free < due) {
        return refuse(
          "TX_INSUFFICIENT_FUNDS",
          "Signer cannot pay the fee",
          `free ${free} < ${due} owed in fees`,
        );
      }
    }
    const n = nonceKey(nonce);
    const pending = m?.get(n);
    if (pending) {
      const same = toHex(pending.hash) === toHex(d.hash);
      return refuse(
        "TX_STALE_NONCE",
        same ? "Transaction already pending" : "Nonce already pending",
        `signer ${toHex(signer)} has nonce ${nonce} in the pool`,
      );
    }
    const t = new Entry(bytes, d, key, takes, done, admitted, forget);
    owed.set(key, (owed.get(key) ?? 0n) + fee);
    if (!m) {
      m = new Map();
      bySigner.set(key, m);
    }
    m.set(n, t);
    queue.push(t);
    batch.push(t);
    if (batch.length >= batchMax) send();
    else if (!flushQueued) {
      flushQueued = true;
      setImmediate(send);
    }
    return undefined;
  }

  return {
    add(intent) {
      queue.push({ kind: "dev", intent });
      fresh++;
    },
    addSigned(input, done, admitted) {
      if (queue.length >= capacity + perSigner) {
        return refuse("TX_QUEUE_FULL", "Transaction pool full", `${queue.length} transactions waiting`);
      }
      // decoded in place from the pool's own copy: its byte fields are views of that copy
      const bytes = chunks.copy(input);
      const d = decodeTxUnverified(bytes, { views: true });
      const refused = d.ok ? admit(bytes, d.value, done, admitted) : d.error;
      if (refused) chunks.undo(bytes);
      return refused;
    },
    async verified() {
      send();
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    take(max, nonceOf) {
      const out: Array<{ item: PoolItem; nonce: bigint; signer: AccountId }> = [];
      const gone = new Set<PoolItem>();
      const next = new Map<string, bigint>();
      /** Signed transactions seen but not yet takeable (future nonce), by signer then nonce. */
      const held = new Map<string, Map<bigint, PoolItem & { kind: "signed" }>>();
      const nextOf = (key: string, signer: AccountId) => {
        const n = next.get(key) ?? nonceOf(signer);
        next.set(key, n);
        return n;
      };
      const include = (item: PoolItem, signer: AccountId, key: string, nonce: bigint) => {
        for (let it: PoolItem | undefined = item, n = nonce; it && out.length < max; n++) {
          out.push({ item: it, nonce: n, signer });
          gone.add(it);
          next.set(key, n + 1n);
          // the signed transaction that waited for this one
          const h = held.get(key);
          it = h?.get(n + 1n);
          h?.delete(n + 1n);
        }
      };
      for (const item of queue) {
        if (out.length >= max) break;
        if (item.kind === "dev") {
          const s = item.intent.signer.publicKey;
          const key = keyOf(s);
          include(item, s, key, nextOf(key, s));
          continue;
        }
        const t = item;
        if (!t.verified) continue;
        const n = nextOf(t.key, t.signer);
        if (t.nonce < n) {
          gone.add(item);
          t.done({
            ok: false,
            error: refuse("TX_STALE_NONCE", "Stale nonce (replay)", `nonce ${t.nonce} < ${n}`),
          });
        } else if (t.nonce === n) include(item, t.signer, t.key, n);
        else {
          const h = held.get(t.key) ?? new Map();
          held.set(t.key, h);
          h.set(t.nonce, item);
        }
      }
      // a future nonce waits `futureTtl` blocks at most for the ones before it (issue 13 §2)
      takes++;
      for (const h of held.values())
        for (const t of h.values()) {
          if (takes - t.since <= futureTtl) continue;
          gone.add(t);
          t.done({
            ok: false,
            error: refuse("TX_EXPIRED", "Waited too long for the nonces before it", `nonce ${t.nonce}`),
          });
        }
      queue = queue.filter((i) => !gone.has(i));
      // those that wait for a missing nonce stop sharing a chunk with the transactions that went
      for (const h of held.values())
        for (const t of h.values()) if (t instanceof Entry && !gone.has(t)) t.own();
      // nothing new until more arrives, unless the block was full
      fresh = out.length >= max ? queue.length : 0;
      return out;
    },
    putBack(items) {
      queue = [...items, ...queue];
      fresh += items.length;
    },
    includedElsewhere(txs, outcome) {
      const gone = new Set<PoolItem>();
      for (const [i, d] of txs.entries()) {
        if (!d) continue;
        const e = bySigner.get(signerKey(d.payload.signer))?.get(nonceKey(d.payload.nonce));
        if (!e || !bytesEqual(e.hash, d.hash)) continue;
        gone.add(e);
        e.done(outcome(i));
      }
      if (gone.size > 0) queue = queue.filter((i) => !gone.has(i));
      return gone.size;
    },
    get size() {
      return queue.length;
    },
    chainMoved() {
      nonces.clear();
      balances.clear();
    },
    nextNonce(signer, from) {
      const m = bySigner.get(signerKey(signer));
      let n = from;
      while (m?.has(nonceKey(n))) n++;
      return n;
    },
    get ready() {
      return fresh > 0;
    },
  };
}
