/**
 * `createNode`: a whole theatre in one process (DESIGN §9). The node owns time, I/O and concurrency:
 * block production (instant, manual or every N ms), the tx pool, the collators, the validator pool and
 * persistence (the chain's LMDB plus the node's own for logs and summaries). The chain stays a pure
 * state machine; the node only calls `applyBlock` once per block.
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import {
  assembleTx,
  type BlockInput,
  type BlockResult,
  type Chain,
  type ChainConfig,
  createChain,
  createLmdbStorage,
  createMemoryStorage,
  type DecodedTx,
  decodeTxUnverified,
  describeExpiry,
  prepareTx,
  preverifyTxs,
  pruneBlockBodies,
  type Storage,
  type TxApplied,
  type TxCall,
  TxCall as TxCallCodec,
  TxError,
  txHash,
  type UnsignedTx,
  type ValidatedPov,
  verifyTxsWhole,
} from "../chain/index.ts";
import { toHex } from "../codec/bytes.ts";
import type { AccountId, ActorId, Hash } from "../codec/ids.ts";
import { decodeExact } from "../codec/types.ts";
import { sealHash } from "../consensus/header.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import type { Keypair } from "../crypto/ed25519.ts";
import { describeReason } from "../pov/errors.ts";
import { Verdict } from "../pov/types.ts";
import type { BlockJson, LogJson, NodeEvent, PovJson } from "../rpc/types.ts";
import type { Engine } from "../vm/engine.ts";
import { collatorAccount, DEV_BALANCE, devAccounts, devAuthorKey } from "./accounts.ts";
import { type CallStatus, statusOf } from "./call-status.ts";
import { type Collators, type CoreJob, createCollators } from "./collator.ts";
import { createCryptoPool } from "./crypto-pool.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { createDurablePool } from "./durable-pool.ts";
import { loadEngine } from "./engine.ts";
import { NodeError } from "./errors.ts";
import { createNodeDb, type NodeDb } from "./node-db.ts";
import { restorePool } from "./restore-pool.ts";
import { createTxPool, type PoolItem, signerKey, type TxOutcome } from "./txpool.ts";
import { type Backing, createValidatorPool, type ValidatorPool } from "./validator-pool.ts";

export type BlockTime = "instant" | "manual" | number;

export interface NodeOptions {
  /** LMDB directory; `undefined` keeps everything in memory (tests). */
  dataDir?: string;
  /** `instant` (default): a block as soon as there is work; `manual`: only on request; ms: every ms. */
  blockTime?: BlockTime;
  cores?: number;
  collators?: number;
  /** Validator worker threads (default: one per CPU). */
  validators?: number;
  /** Matching verdicts that back a PoV (default min(2, validators)). */
  backers?: number;
  validatorTimeoutMs?: number;
  /** Handler module for validator workers (tests); default the real validator. */
  validatorHandler?: string;
  coreGas?: bigint;
  chain?: Partial<ChainConfig>;
  engine?: Engine;
  /** In instant mode, the pause between blocks when the only work is unfinished `main`s. */
  idleTickMs?: number;
  /** Most transactions per block. */
  maxTxsPerBlock?: number;
  /** Worker threads signing and verifying transactions (default: one per CPU, at most 4; 0: in-thread). */
  signatureWorkers?: number;
  /**
   * How many recent blocks keep their PoV bytes, relay views, summaries and block bodies (default
   * {@link DEFAULT_PRUNING}); `"archive"` keeps everything. State and headers are never pruned.
   */
  pruning?: number | "archive";
  /** The chain's storage, opened by the caller (a network node's journaled LMDB); default from `dataDir`. */
  storage?: Storage;
  /** The account named as the author of the blocks this node produces (default collator 0). */
  author?: AccountId;
  /** Called with each produced block's input and result, right after it applied (a network node gossips it). */
  onApplied?(input: BlockInput, result: BlockResult): void;
  /** The key that seals produced blocks (a network node's validator key; default the dev author's). */
  sealKey?: Keypair;
  /** Called with each client-signed transaction once its signature verified (a network node gossips it). */
  onSignedAdmitted?(bytes: Uint8Array, hash: Hash): void;
}

/** What a network node asks of one produced block (the dev node takes the defaults). */
export interface ProduceOptions {
  /** The Aura slot the header carries (default: the block number). */
  slot?: bigint;
  /** Most transactions this block takes from the pool (default `maxTxsPerBlock`): the author's budget. */
  maxTxs?: number;
  /**
   * PoVs built and backed elsewhere (issue 15: collator processes, the validators' backing groups),
   * with their summaries: included as they are, unexecuted, instead of this node's own collators' PoVs.
   */
  backed?: Array<{ pov: ValidatedPov; summary: PovJson }>;
}

/** Blocks whose PoV bytes and bodies a node keeps by default (as Substrate keeps 256 blocks of state). */
export const DEFAULT_PRUNING = 256;
/** Pruning runs once this many blocks are due, so its storage transaction is one per this many blocks. */
const PRUNE_BATCH = 16;

/** Endowment of actors created through the RPC without a balance: enough to pay collators for long. */
export const DEFAULT_ENDOWMENT = 10n ** 20n;

export interface CoreplayNode {
  readonly chain: Chain;
  readonly engine: Engine;
  readonly options: Required<Pick<NodeOptions, "cores" | "collators" | "validators" | "blockTime">> & {
    coreGas: bigint;
    dataDir?: string;
  };
  readonly db: NodeDb;
  readonly pool: ValidatorPool;
  readonly storage: Storage;
  readonly collators: Collators;
  hashPov(pov: Uint8Array): Hash;
  /** Copies the databases aside (dev_v1_snapshot). */
  snapshot(): Promise<{ id: string; block: number }>;
  /** Restores a snapshot: the chain continues from its head. */
  revert(id: string): Promise<void>;
  /** Produces one block now (whatever the mode), after any block in progress. */
  produceBlock(opts?: ProduceOptions): Promise<BlockJson>;
  /**
   * Applies a block another node produced (a network node's import, after it re-validated the PoVs),
   * after any block in progress, with the summaries and events of a produced block. Returns the
   * chain's result: the caller compares it with the block's header.
   */
  importBlock(input: BlockInput): Promise<{ result: BlockResult; block: BlockJson }>;
  /** The chain's storage was changed under the node (a network node reverted blocks): forget cached nonces. */
  chainReverted(): void;
  /** Signs `call` with a dev account at the next block; resolves once it is included (or refused). */
  submit(call: TxCall, signer?: Keypair): Promise<TxApplied & { hash: Hash; block: number }>;
  /**
   * Submits a transaction a client signed (`signTx` bytes, its own key and nonce), like
   * `eth_sendRawTransaction`. Admission decodes it strictly and refuses a stale or already pending
   * nonce at once; its signature is verified on the signature workers with the others that arrived in
   * the same event-loop turn, and a bad one is refused then. `admitted` is called with its hash once
   * the signature verified. A signer's transactions apply in nonce order: a future nonce waits in the
   * pool. Resolves once a block included it (or refuses it), with `submit`'s result.
   */
  submitSigned(
    bytes: Uint8Array,
    admitted?: (hash: Hash) => void,
  ): Promise<TxApplied & { hash: Hash; block: number }>;
  /**
   * Admits a user call or postcard (signed with a dev account at block time) and resolves with its call
   * id once it is durable (issue 13 §2): a restart re-admits it. Refuses at once an unknown actor.
   * Follow it with {@link CoreplayNode.callStatus}.
   */
  enqueue(call: Extract<TxCall, { tag: "Call" | "Post" }>, signer?: Keypair): Promise<{ callId: Hash }>;
  /** What became of a call admitted by `enqueue` (or a client-signed Call, by its hash); undefined if unknown. */
  callStatus(callId: Hash): CallStatus | undefined;
  /** Transactions waiting in the pool (signed and dev intents). */
  pendingTxs(): number;
  /** The nonce of `account`'s next transaction: its chain nonce, after its signed ones pending in the pool. */
  nextNonce(account: AccountId): bigint;
  /** Resolves with the receipt once the call is canonicalised (checked after every block). */
  waitReceipt(callId: Hash, timeoutMs: number): Promise<void>;
  subscribe(listener: (e: NodeEvent) => void): () => void;
  /** Wakes instant block production (after a submit, or when actors have work). */
  poke(): void;
  blockSummary(n: number): BlockJson | undefined;
  stop(): Promise<void>;
}

/**
 * Opens (or creates) the chain in `dataDir` and starts producing blocks.
 *
 * @example
 * const node = await createNode({ dataDir: ".coreplay", blockTime: 1000, cores: 4, collators: 3 });
 * const head = await node.produceBlock();
 * await node.stop();
 */
export async function createNode(opts: NodeOptions = {}): Promise<CoreplayNode> {
  const cores = opts.cores ?? 4;
  const collators = opts.collators ?? 3;
  const validators = opts.validators ?? availableParallelism();
  const blockTime = opts.blockTime ?? "instant";
  if (!Number.isInteger(cores) || cores < 1 || cores > 1024) {
    throw new NodeError("Invalid --cores", {
      code: "NODE_BAD_OPTION",
      details: `${cores}`,
      hint: "use 1..1024",
    });
  }
  if (!Number.isInteger(collators) || collators < 1) {
    throw new NodeError("Invalid --collators", {
      code: "NODE_BAD_OPTION",
      details: `${collators}`,
      hint: "use 1 or more",
    });
  }
  if (typeof blockTime === "number" && (!Number.isFinite(blockTime) || blockTime < 1)) {
    throw new NodeError("Invalid --block-time", {
      code: "NODE_BAD_OPTION",
      details: `${blockTime}`,
      hint: "use instant, manual or a number of milliseconds",
    });
  }
  const pruning = opts.pruning ?? DEFAULT_PRUNING;
  if (pruning !== "archive" && (!Number.isSafeInteger(pruning) || pruning < 1)) {
    throw new NodeError("Invalid --pruning", {
      code: "NODE_BAD_OPTION",
      details: `${pruning}`,
      hint: "use archive, or the number of recent blocks to keep (1 or more)",
    });
  }
  const engine = opts.engine ?? (await loadEngine());
  const dirLock = opts.dataDir ? lockDataDir(opts.dataDir) : undefined;
  let storage: Storage;
  try {
    storage = opts.storage
      ? opts.storage
      : opts.dataDir
        ? createLmdbStorage({ path: join(opts.dataDir, "chain") })
        : createMemoryStorage();
  } catch (cause) {
    dirLock?.release();
    throw new NodeError("Cannot open the data dir", {
      code: "NODE_DATA_DIR",
      details: `${opts.dataDir}: ${(cause as Error).message}`,
      hint: "pass another --data-dir, or stop the node that uses it",
      cause,
    });
  }
  const dev = devAccounts();
  const chain = createChain({
    storage,
    engine,
    config: {
      cores,
      ...(opts.coreGas !== undefined ? { coreGas: opts.coreGas } : {}),
      callQueueCapacity: 4096,
      ...opts.chain,
      genesis: {
        accounts: dev.map((k) => ({ account: k.publicKey, balance: DEV_BALANCE })),
        // a network's first collators (issue 15), from its chain spec
        ...(opts.chain?.genesis?.collators ? { collators: opts.chain.genesis.collators } : {}),
      },
    },
  });
  const db = createNodeDb(opts.dataDir ? join(opts.dataDir, "node") : undefined);
  const durable = createDurablePool(opts.dataDir ? join(opts.dataDir, "pool") : undefined);
  const pool = await createValidatorPool({
    size: validators,
    backers: opts.backers,
    timeoutMs: opts.validatorTimeoutMs,
    handler: opts.validatorHandler,
    // Workers load the engine (seconds each): the node serves RPC meanwhile; the first block waits.
    waitReady: false,
  });
  const col = createCollators({ chain, engine, collators, cores });
  const sigs = createCryptoPool(opts.signatureWorkers);
  const txpool = createTxPool({
    // the main thread serves RPC and builds blocks meanwhile: the workers verify alone
    // (whole: the workers make each signed message from the transaction's bytes)
    verify: (txs, hashes) =>
      verifyTxsWhole(txs, (items, domain) => sigs.verifySigned(items, domain, { share: false }), hashes),
    nonceOf: (s) => chain.nonceOf(s),
    balanceOf: (s) => chain.balanceOf(s),
    onVerified: () => poke(),
  });
  const listeners = new Set<(e: NodeEvent) => void>();
  const waiters = new Map<string, { id: Hash; done: () => void }>();
  const emit = (e: NodeEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // a listener's failure is its own
      }
    }
  };
  const maxTxs = opts.maxTxsPerBlock ?? 20_000;
  const idleTick = opts.idleTickMs ?? 100;
  let stopped = false;
  let lock: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let poked = false;
  const snapshots = new Map<string, { block: number; entries: Array<[Uint8Array, Uint8Array]> }>();
  let nextSnapshot = 1;

  const povJson = (job: CoreJob, status: PovJson["status"], backers: number[], reason?: string): PovJson => ({
    hash: toHex(chainPovId(job.built.pov)),
    core: job.core,
    collator: job.collator,
    actors: [...job.actors],
    calls: job.calls,
    gasUsed: job.built.gasUsed.toString(),
    size: job.built.pov.byteLength,
    relayParent: chain.head().number,
    status,
    backers,
    ...(reason ? { reason } : {}),
    payout: job.built.effects.payouts.reduce((n, p) => n + p.amount, 0n).toString(),
  });

  /** Records what a block did with a durable intent. */
  const settleIntent = (
    id: Uint8Array,
    kind: "call" | "send",
    actor: number,
    admittedAt: number,
    r: TxOutcome,
  ) =>
    durable.settleIntent(
      id,
      r.ok
        ? {
            state: "queued",
            kind,
            actor,
            admittedAt,
            included: { txHash: r.value.hash, block: r.value.block },
          }
        : {
            state: "dropped",
            kind,
            actor,
            admittedAt,
            block: chain.head().number,
            reason: {
              code: r.error.code,
              message: r.error.shortMessage,
              ...(r.error.details !== undefined ? { details: r.error.details } : {}),
            },
          },
    );

  async function enqueue(
    call: Extract<TxCall, { tag: "Call" | "Post" }>,
    signer: Keypair = dev[0]!,
  ): Promise<{ callId: Hash }> {
    if (stopped) throw new NodeError("Node is stopped", { code: "NODE_STOPPED" });
    const actor = call.value.actor;
    if (!chain.actor(actor)) throw new TxError("TX_UNKNOWN_ACTOR", "Unknown actor", `actor ${actor}`);
    const id = blake2b256(randomBytes(32));
    const kind = call.tag === "Call" ? "call" : "send";
    const admittedAt = chain.head().number;
    await durable.admitIntent({
      id,
      signer: signer.publicKey,
      call: TxCallCodec.enc(call),
      kind,
      actor,
      admittedAt,
    });
    txpool.add({ signer, call, id, done: (r) => settleIntent(id, kind, actor, admittedAt, r) });
    poke();
    return { callId: id };
  }

  function callStatus(callId: Hash): CallStatus | undefined {
    const rec = durable.record(callId);
    if (rec) return statusOf(rec, (h) => chain.receipt(h as Hash));
    // a client-signed Call: its id is its transaction's hash
    const r = chain.receipt(callId);
    return r && { status: "canonicalised", actor: r.actor, kind: "call", block: r.block, receipt: r };
  }

  /** Whether a waiter on this call id can stop waiting: canonicalised or dropped. */
  const settled = (callId: Hash): boolean => {
    const s = callStatus(callId);
    return s !== undefined && s.status !== "queued";
  };

  // Admitted before a crash: queued again (issue 13 §2).
  restorePool({ chain, durable, txpool, dev, settleIntent });

  async function produce(produceOpts: ProduceOptions = {}): Promise<BlockJson> {
    if (stopped) throw new NodeError("Node is stopped", { code: "NODE_STOPPED" });
    // 1. Collators build on the head; 2. validators re-execute each PoV in the worker pool.
    // Each PoV goes to the validators as soon as it is built, and the event loop turns once before the
    // next is built, so the worker starts on it meanwhile.
    // Client-signed transactions waiting for a batch go to the signature workers now, so they are
    // verified while the collators build.
    const verifying = txpool.verified();
    const jobs: CoreJob[] = [];
    const validations: Promise<Backing>[] = [];
    for (const job of produceOpts.backed ? [] : col.buildEach()) {
      if ("reason" in job) continue;
      jobs.push(job);
      const v = pool.validate({ pov: job.built.pov, view: job.view, codes: job.codes });
      v.catch(() => {}); // awaited below (through Promise.all); not an unhandled rejection meanwhile
      validations.push(v);
      await new Promise((ok) => setImmediate(ok));
    }
    const validating = Promise.all(validations);
    validating.catch(() => {});
    // 3. Meanwhile, the transactions. Client-signed ones are verified on admission: wait for the batches
    // still out (never rejects: a batch that fails refuses its transactions). Dev intents are signed
    // now so each signer's nonces are consecutive, then their signatures verified ahead of the block,
    // both on the signature workers. An intent that cannot even be encoded is refused alone (it would
    // fail every block); its signer's later dev intents close the gap.
    await verifying;
    const items: PoolItem[] = [];
    const txs: Uint8Array[] = [];
    const decoded: Array<DecodedTx | undefined> = [];
    const dev: Array<{ at: number; seed: Uint8Array; unsigned: UnsignedTx }> = [];
    const gaps = new Map<string, bigint>();
    const take = Math.max(0, Math.min(maxTxs, produceOpts.maxTxs ?? maxTxs));
    for (const { item, nonce, signer } of txpool.take(take, (a) => chain.nonceOf(a))) {
      if (item.kind === "signed") {
        items.push(item);
        txs.push(item.bytes);
        decoded[txs.length - 1] = item.decoded;
        continue;
      }
      const k = signerKey(signer);
      const gap = gaps.get(k) ?? 0n;
      let u: UnsignedTx;
      try {
        u = prepareTx(signer, { nonce: nonce - gap, call: item.intent.call }, chain.config);
      } catch (e) {
        gaps.set(k, gap + 1n);
        item.intent.done({
          ok: false,
          error: new TxError("TX_MALFORMED", "Malformed transaction", (e as Error).message),
        });
        continue;
      }
      dev.push({ at: txs.length, seed: item.intent.signer.secretKey, unsigned: u });
      items.push(item);
      txs.push(u.payload); // replaced by the signed bytes below
    }
    // Until the block is applied, a failure leaves the transactions in the pool for the next block.
    const undo = (e: unknown): never => {
      txpool.putBack(items);
      throw e;
    };
    let backings: Backing[] = [];
    try {
      if (dev.length > 0) {
        const signatures = await sigs.sign(dev.map((d) => ({ seed: d.seed, message: d.unsigned.message })));
        const signed = dev.map((d, i) => assembleTx(d.unsigned, signatures[i]!));
        for (const [i, d] of dev.entries()) txs[d.at] = signed[i]!;
        await preverifyTxs(signed, (checks) => sigs.verify(checks));
        // the transaction each durable intent became, on disk before the block: after a crash, its
        // hash in the block says whether that block committed (restore-pool.ts)
        const number = chain.head().number + 1;
        const attempts: Array<{ id: Uint8Array; txHash: Uint8Array; block: number }> = [];
        for (const d of dev) {
          const it = items[d.at];
          if (it?.kind === "dev" && it.intent.id)
            attempts.push({ id: it.intent.id, txHash: txHash(txs[d.at]!), block: number });
        }
        if (attempts.length > 0) await durable.attempt(attempts);
      }
      backings = await validating;
    } catch (e) {
      undo(e);
    }
    const dropped: PovJson[] = [];
    const povs: ValidatedPov[] = [];
    const built = new Map<string, PovJson>();
    const jobById = new Map<string, CoreJob>();
    for (const [i, job] of jobs.entries()) {
      const b = backings[i]!;
      if (!b.backed) {
        dropped.push(povJson(job, "unbacked", [], b.faults.join("; ")));
        continue;
      }
      const verdict = decodeExact(Verdict, b.verdict!, "verdict");
      if (verdict.tag === "Invalid") {
        dropped.push(povJson(job, "invalid", b.backers, describeReason(verdict.value)));
        continue;
      }
      const summary = povJson(job, "pending", b.backers);
      built.set(summary.hash, summary);
      jobById.set(summary.hash, job);
      db.putPov(summary.hash, job.built.pov, summary);
      db.putView(summary.hash, job.view);
      povs.push({
        core: job.core,
        pov: job.built.pov,
        effects: verdict.value,
        collator: collatorAccount(job.collator),
      });
    }
    for (const b of produceOpts.backed ?? []) {
      built.set(b.summary.hash, b.summary);
      db.putPov(b.summary.hash, b.pov.pov, b.summary);
      povs.push(b.pov);
    }
    // 4. One atomic block: transactions, PoV admission, canonicalisation cascade (DESIGN §4).
    let r: ReturnType<Chain["applyBlock"]>;
    // Sealed with the dev author's key, as a network node seals with its validator key (DESIGN §11).
    const input: BlockInput = {
      txs,
      decoded,
      povs,
      author: opts.author ?? collatorAccount(0),
      ...(produceOpts.slot !== undefined ? { slot: produceOpts.slot } : {}),
      seal: (h) => sealHash(h, opts.sealKey ?? devAuthorKey()),
    };
    try {
      r = chain.applyBlock(input);
    } catch (e) {
      return undo(e);
    } finally {
      txpool.chainMoved();
    }
    opts.onApplied?.(input, r);
    // A transaction after a refused one of the same signer finds its nonce in the future: a dev intent
    // is signed again at the next block, a client-signed one waits for the missing nonce.
    const again: PoolItem[] = [];
    const failedSigners = new Set<string>();
    for (const [i, item] of items.entries()) {
      const out = r.txs[i]!;
      if (out.result.ok) {
        settle(item, { ok: true, value: outcomeOf(out.result.value, out.hash, r.number) });
        continue;
      }
      const k = item.kind === "signed" ? item.key : signerKey(item.intent.signer.publicKey);
      const future = out.result.error.code === "TX_FUTURE_NONCE";
      if (future && (item.kind === "signed" || failedSigners.has(k))) again.push(item);
      else settle(item, { ok: false, error: out.result.error });
      failedSigners.add(k);
    }
    if (again.length > 0) txpool.putBack(again);
    for (const p of r.povs) {
      if (!p.result.ok) {
        const s = built.get(toHex(p.id));
        if (s) dropped.push({ ...s, status: "invalid", reason: p.result.error.shortMessage });
      }
    }
    // rule (b) of issue 13 §0: the collator never builds a PoV the chain refused again
    for (const e of r.expired) {
      const job = e.reason.kind === "EffectsRejected" ? jobById.get(toHex(e.id)) : undefined;
      if (job) col.refused(job);
    }
    return record(r, built, dropped);
  }

  /** 5. Summaries, logs and events of an applied block (produced here or imported). */
  function record(r: BlockResult, built: Map<string, PovJson>, dropped: PovJson[]): BlockJson {
    const canon: PovJson[] = r.canonicalised.map((c) => {
      const k = toHex(c.id);
      const s = built.get(k) ?? db.pov(k)?.summary;
      return {
        ...(s ?? {
          hash: k as `0x${string}`,
          core: c.core,
          collator: -1,
          actors: c.actors.map(Number),
          calls: 0,
          gasUsed: "0",
          size: 0,
          relayParent: r.number - 1,
          backers: [],
        }),
        status: "canonicalised",
      };
    });
    for (const e of r.expired) {
      const k = toHex(e.id);
      const s = db.pov(k)?.summary;
      if (s) dropped.push({ ...s, status: "expired", reason: describeExpiry(e.reason) });
    }
    const block: BlockJson = {
      number: r.number,
      hash: toHex(r.hash),
      parentHash: toHex(r.header.parent),
      stateRoot: toHex(r.header.stateRoot),
      author: toHex(r.header.author),
      timestamp: Date.now(),
      povs: canon,
      dropped,
      extrinsics: r.txs.filter((t) => t.result.ok).length,
      fees: r.txs.reduce((n, t) => n + (t.result.ok ? t.result.value.fee : 0n), 0n).toString(),
    };
    db.putBlock(block);
    const logs: LogJson[] = r.logs.map((l) => ({ actor: l.actor, block: r.number, line: l.line }));
    db.putLogs(logs);
    for (const c of canon) db.putPovSummary(c.hash, c);
    if (pruning !== "archive") prune(r.number + 1 - pruning);

    emit({ event: "newBlock", block });
    for (const p of canon) emit({ event: "canonicalised", block: r.number, pov: p });
    for (const p of dropped)
      emit({ event: p.status === "expired" ? "expired" : "invalid", block: r.number, pov: p });
    for (const l of logs) emit({ event: "log", log: l });
    for (const [k, w] of waiters) {
      if (settled(w.id)) {
        waiters.delete(k);
        w.done();
      }
    }
    const touched = new Set<number>(canon.flatMap((p) => p.actors));
    for (const a of touched) emit({ event: "state", actor: a as never });
    return block;
  }

  /** Prunes blocks below `below` (at most 1024 per block, so an archive turned pruned catches up gradually). */
  function prune(below: number): void {
    const from = db.prunedBelow();
    if (below - from < PRUNE_BATCH) return;
    const to = Math.min(below, from + 1024);
    db.prune(to);
    pruneBlockBodies(storage, from, to);
  }

  function produceBlock(produceOpts?: ProduceOptions): Promise<BlockJson> {
    const go = () => produce(produceOpts);
    const run = lock.then(go, go);
    lock = run.catch(() => {});
    return run;
  }

  function importBlock(input: BlockInput): Promise<{ result: BlockResult; block: BlockJson }> {
    const apply = () => {
      if (stopped) throw new NodeError("Node is stopped", { code: "NODE_STOPPED" });
      let r: BlockResult;
      try {
        r = chain.applyBlock(input);
      } finally {
        txpool.chainMoved();
      }
      // the transactions this node also holds (gossip, or sent to it) are settled as included
      if (txpool.size > 0) {
        const decoded = r.txs.map((t, i) => {
          if (!t.result.ok) return undefined;
          const known = input.decoded?.[i];
          if (known) return known;
          const d = decodeTxUnverified(input.txs[i]!);
          return d.ok ? d.value : undefined;
        });
        txpool.includedElsewhere(decoded, (i) => {
          const t = r.txs[i]!;
          return t.result.ok ? { ok: true, value: outcomeOf(t.result.value, t.hash, r.number) } : t.result;
        });
      }
      return { result: r, block: record(r, new Map(), []) };
    };
    const run = lock.then(apply, apply);
    lock = run.catch(() => {});
    return run;
  }

  /**
   * What is left to do after a block: "now" (txs, calls, postcards someone waits for), "later" (ready or
   * sleeping fibres), or nothing (every fibre waits for a postcard, for another fibre, or has ended).
   */
  function pending(): "now" | "later" | "none" {
    if (txpool.ready) return "now";
    const pooled = new Set(chain.pool().flatMap((e) => e.slabs.map((s) => s.actor as number)));
    let later = false;
    for (const a of chain.actorIds()) {
      if (pooled.has(a)) continue;
      const info = chain.actor(a);
      if ((info?.calls.len ?? 0) > 0 || (info?.pigeonhole.queue.len ?? 0) > 0) return "now";
      const w = col.wake(a as ActorId);
      if (w === undefined) continue;
      // a ready fibre, or one sleeping until a block number: blocks must go on for it
      if (w.ready || w.block !== undefined) later = true;
    }
    return later ? "later" : "none";
  }

  function schedule(delay: number) {
    if (stopped || timer) return;
    timer = setTimeout(async () => {
      timer = undefined;
      poked = false;
      try {
        await produceBlock();
      } catch (e) {
        process.emitWarning(`block production failed: ${(e as Error).message}`);
      }
      if (blockTime === "instant") {
        const p = pending();
        if (p === "now" || poked) schedule(0);
        else if (p === "later") schedule(idleTick);
      } else if (typeof blockTime === "number") schedule(blockTime);
    }, delay);
  }

  function poke() {
    poked = true;
    if (blockTime === "instant") schedule(0);
  }

  if (typeof blockTime === "number") schedule(blockTime);
  if (blockTime === "instant" && pending() !== "none") schedule(0);

  return {
    chain,
    engine,
    options: {
      cores,
      collators,
      validators: pool.size,
      blockTime,
      coreGas: chain.config.coreGas,
      dataDir: opts.dataDir,
    },
    db,
    pool,
    storage,
    collators: col,
    hashPov: chainPovId,
    snapshot() {
      // Between blocks, copy every key of the chain's storage (dev chains are small).
      const run = lock.then(() => {
        const entries: Array<[Uint8Array, Uint8Array]> = [];
        for (let p = 0; p < 256; p++) for (const e of storage.scan(Uint8Array.of(p))) entries.push(e);
        const id = String(nextSnapshot++);
        const block = chain.head().number;
        snapshots.set(id, { block, entries });
        return { id, block };
      });
      lock = run.catch(() => {});
      return run;
    },
    revert(id) {
      const snap = snapshots.get(id);
      if (!snap) {
        return Promise.reject(
          new NodeError("Unknown snapshot", {
            code: "UNKNOWN_SNAPSHOT",
            details: `no snapshot ${JSON.stringify(id)}`,
            hint: "take one with dev_v1_snapshot; a revert drops the snapshots taken after it",
          }),
        );
      }
      const run = lock.then(() => {
        storage.transaction((kv) => {
          for (let p = 0; p < 256; p++) for (const [k] of [...kv.scan(Uint8Array.of(p))]) kv.del(k);
          for (const [k, v] of snap.entries) kv.put(k, v);
        });
        for (const k of [...snapshots.keys()]) if (Number(k) > Number(id)) snapshots.delete(k);
        txpool.chainMoved();
      });
      lock = run.catch(() => {});
      return run;
    },
    produceBlock,
    importBlock,
    chainReverted: () => txpool.chainMoved(),
    submit(call, signer = dev[0]!) {
      if (stopped) return Promise.reject(new NodeError("Node is stopped", { code: "NODE_STOPPED" }));
      return new Promise((ok, fail) => {
        txpool.add({ signer, call, done: (r) => (r.ok ? ok(r.value) : fail(r.error)) });
        poke();
      });
    },
    submitSigned(bytes, admittedBy) {
      if (stopped) return Promise.reject(new NodeError("Node is stopped", { code: "NODE_STOPPED" }));
      const hook = opts.onSignedAdmitted;
      const admitted = hook
        ? (h: Hash) => {
            hook(bytes, h);
            admittedBy?.(h);
          }
        : admittedBy;
      return new Promise((ok, fail) => {
        const copy = durable.persistent ? bytes.slice() : bytes;
        let hash: Hash | undefined;
        // admitted means durable: the caller hears of it once the bytes are on disk (issue 13 §2)
        const refused = durable.persistent
          ? txpool.addSigned(
              bytes,
              (r) => {
                if (r.ok) durable.settleSigned(r.value.hash);
                else if (hash) durable.settleSigned(hash);
                return r.ok ? ok(r.value) : fail(r.error);
              },
              (h) => {
                hash = h;
                durable.admitSigned(h, copy).then(
                  () => admitted?.(h),
                  () => admitted?.(h),
                );
              },
            )
          : txpool.addSigned(bytes, (r) => (r.ok ? ok(r.value) : fail(r.error)), admitted);
        if (refused) fail(refused);
        else poke();
      });
    },
    pendingTxs: () => txpool.size,
    nextNonce: (account) => txpool.nextNonce(account, chain.nonceOf(account)),
    enqueue,
    callStatus,
    waitReceipt(callId, timeoutMs) {
      if (settled(callId)) return Promise.resolve();
      return new Promise((ok, fail) => {
        const k = `${toHex(callId)}/${Math.random()}`;
        // Node fires a timer of more than 2^31−1 ms at once: clamp (about 24.8 days)
        const t = setTimeout(
          () => {
            waiters.delete(k);
            fail(new NodeError("Timed out waiting for the call", { code: "TIMEOUT" }));
          },
          Math.min(timeoutMs, 2 ** 31 - 1),
        );
        waiters.set(k, {
          id: callId,
          done: () => {
            clearTimeout(t);
            ok();
          },
        });
        poke();
      });
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    poke,
    blockSummary: (n) => db.block(n),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      await lock;
      await pool.close();
      await sigs.close();
      await db.close();
      await durable.close();
      await storage.close();
      dirLock?.release();
    },
  };
}

/** Settles a pool item: a client-signed transaction or a dev intent. */
const settle = (item: PoolItem, o: TxOutcome): void =>
  item.kind === "signed" ? item.done(o) : item.intent.done(o);

/**
 * A settled transaction's value: what it did, its hash and block. Written out for the usual shapes (a
 * spread of differently shaped objects is a slow generic copy, once per transaction).
 */
function outcomeOf(v: TxApplied, hash: Hash, block: number): TxApplied & { hash: Hash; block: number } {
  const keys = Object.keys(v).length;
  if (keys === 1 && v.fee !== undefined) return { fee: v.fee, hash, block };
  return { ...v, hash, block };
}

/** The chain's PoV id: blake2b-256 of its bytes (src/chain/pool.ts). */
const chainPovId = (pov: Uint8Array): Hash => blake2b256(pov);
