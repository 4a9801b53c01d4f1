/** The public shapes of the chain API (src/chain/README.md "API"). */
import type { AccountId, ActorId, CodeHash, Hash } from "../codec/ids.ts";
import type { Message, Witness } from "../codec/types.ts";
import type { Result } from "../errors.ts";
import type { CodeSource, PovEffects, RelayView } from "../pov/types.ts";
import type { Engine } from "../vm/engine.ts";
import type { ChainConfig } from "./config.ts";
import type { ExpiryReason, PovRejected, TxError } from "./errors.ts";
import type {
  AccountInfo,
  ActorInfo,
  BlockHeader,
  BlockRecord,
  CodeInfo,
  PreimageInfo,
  QueuedCall,
  Receipt,
  ReportRecord,
} from "./state.ts";
import type { Storage } from "./storage.ts";
import type { StateProof } from "./trie/proof.ts";
import type { DecodedTx } from "./tx.ts";
import type { UpgradeReceipt } from "./upgrade-receipt.ts";

export interface ChainOptions {
  storage: Storage;
  /** Loads programs: validates uploads, makes the initial image of new actors, decodes slabs. */
  engine: Engine;
  config?: Partial<ChainConfig>;
}

/** A PoV that its validator group found valid (the pov layer's `Verdict.Valid`), as the node submits it. */
export interface ValidatedPov {
  core: number;
  /** The SCALE `Pov`; its slabs' `post` images become the actors' current slabs at canonicalisation. */
  pov: Uint8Array;
  effects: PovEffects;
  /** The collator that built it: paid the actors' payouts (DESIGN §8). */
  collator: AccountId;
}

export interface BlockInput {
  /** Encoded signed transactions (tx.ts), applied in order; refused ones are left out of the block. */
  txs: Uint8Array[];
  /**
   * Optional, by index of `txs`: `decodeTxUnverified(txs[i])`'s value where the caller already decoded
   * the bytes (the node's pool does, at admission), so the block does not decode and hash them again.
   * It must be exactly that decoding of exactly those bytes: the chain takes it in their place. The
   * signature is still checked against the bytes (unless it verified before).
   */
  decoded?: ReadonlyArray<DecodedTx | undefined>;
  /** Validated PoVs to admit to the pool this block (at most one per core; an actor on one core). */
  povs?: ValidatedPov[];
  author: AccountId;
  /** The Aura slot the header carries (default: the block number, as `coreplay dev` has no slots). */
  slot?: bigint;
  /**
   * The author's seal over the block hash, kept in the block record: the signature itself (an imported
   * block's) or a function that makes it from the hash (the authoring node's key).
   */
  seal?: Uint8Array | ((hash: Hash, header: BlockHeader) => Uint8Array);
  /**
   * An imported block's hash: if the block re-executes to another header, `applyBlock` throws
   * `ChainError` `CHAIN_BLOCK_MISMATCH` and keeps nothing.
   */
  expect?: Hash;
}

/** What a successful transaction did. */
export interface TxApplied {
  fee: bigint;
  /** Create: the new actor. */
  actor?: ActorId;
  /** Upload: the code hash (also for a deduplicated upload). */
  codeHash?: CodeHash;
  /** Store: the preimage hash. Call: the call id (= tx hash) its receipt will carry. */
  hash?: Hash;
}

export interface TxOutcome {
  hash: Hash;
  result: Result<TxApplied, TxError>;
}

export interface PovOutcome {
  id: Hash;
  core: number;
  result: Result<null, PovRejected>;
}

export interface BlockResult {
  number: number;
  hash: Hash;
  header: BlockHeader;
  /** Every input transaction, in order, with its result; only the `ok` ones are in the block. */
  txs: TxOutcome[];
  /** Every input PoV, with whether it entered the pool. */
  povs: PovOutcome[];
  /** PoVs canonicalised by this block's cascade, in order. */
  canonicalised: { id: Hash; core: number; collator: AccountId; actors: ActorId[] }[];
  /** PoVs dropped from the pool by this block's cascade. */
  expired: { id: Hash; reason: ExpiryReason }[];
  /** `log` lines of the canonicalised PoVs. */
  logs: { actor: ActorId; line: string }[];
  /** `set_code`s of the canonicalised PoVs, in order, with what became of each (DESIGN §10). */
  upgrades: Array<UpgradeReceipt & { actor: ActorId }>;
}

export interface PigeonholeView {
  /** Chain head over the consumed messages: a PoV's `received.headBefore` must equal it. */
  head: Hash;
  /** Chain head over every message enqueued. */
  tail: Hash;
  /** Waiting messages, oldest first. */
  messages: Message[];
  capacity: number;
}

export interface PoolView {
  id: Hash;
  core: number;
  collator: AccountId;
  admittedAt: number;
  slabs: { actor: ActorId; sequence: bigint; preHash: Hash; postHash: Hash }[];
}

/**
 * The relay-chain state machine.
 *
 * @example
 * const chain = createChain({ storage: createMemoryStorage(), engine, config: { genesis } });
 * const r = chain.applyBlock({ txs: [signTx(alice, { nonce: 0n, call }, chain.config)], author });
 * chain.actor(actorId(0))?.sequence;
 */
export interface Chain {
  readonly config: ChainConfig;
  readonly genesisHash: Hash;
  /** Applies one block atomically: transactions, PoV admission, then the canonicalisation cascade. */
  applyBlock(input: BlockInput): BlockResult;
  /** Checks a transaction against the head state without applying it (for the node's tx pool). */
  checkTx(
    tx: Uint8Array,
  ): Result<TxApplied & { hash: Hash; signer: AccountId; nonce: bigint }, import("./errors.ts").TxError>;

  head(): { number: number; hash: Hash; header: BlockHeader };
  block(at: number | Hash): BlockRecord | undefined;
  account(id: AccountId): AccountInfo;
  /** Free balance of an account, or balance of an actor. */
  balanceOf(id: AccountId | ActorId): bigint;
  nonceOf(id: AccountId): bigint;
  actor(id: ActorId): ActorInfo | undefined;
  actorIds(): ActorId[];
  code(hash: CodeHash): Uint8Array | undefined;
  codeInfo(hash: CodeHash): CodeInfo | undefined;
  readonly codeSource: CodeSource;
  /** The actor's current image (full encoding): the `pre` of its next slab. */
  slab(id: ActorId): Uint8Array | undefined;
  /**
   * {@link Chain.slab} without its copy, for a reader that copies what it keeps (an image decoder, an
   * encoder): never write to it, and read it before the chain next changes.
   */
  slabView(id: ActorId): Uint8Array | undefined;
  /** The actor's queued user calls, oldest first (at most `max`). */
  pendingCalls(id: ActorId, max?: number): QueuedCall[];
  /** The inputs of {@link Chain.pendingCalls}, alone (what a collator puts in its agenda). */
  pendingInputs(id: ActorId, max?: number): Uint8Array[];
  pigeonhole(id: ActorId): PigeonholeView | undefined;
  receipt(callId: Hash): Receipt | undefined;
  /** The actor's last `set_code` and what became of it (DESIGN §10), if it ever called one. */
  upgrade(id: ActorId): UpgradeReceipt | undefined;
  preimage(hash: Hash): Uint8Array | undefined;
  preimageInfo(hash: Hash): PreimageInfo | undefined;
  /** Preimages the actor asked for (`request`), to put in its next witness. */
  requests(id: ActorId): Hash[];
  pool(): PoolView[];
  /** What a validator needs beside the PoV bytes; `now` is the block the play is for (default head + 1). */
  /**
   * `recipients`: actors the play may send to, beside `actors`; the view carries their room (issue 13 §0).
   */
  relayView(actors: readonly ActorId[], opts?: { now?: number; recipients?: readonly ActorId[] }): RelayView;
  /** The witness a collator puts in its PoV: waiting postcards with chain heads, requested preimages. */
  witness(actors: readonly ActorId[], opts?: { now?: number }): Witness;
  /** The registered collators (issue 15 §1), in key order, with their bonds. */
  collators(): Array<{ collator: AccountId; bond: bigint; since: number }>;
  /** The canonical collator of `actor` for the next block (parent = head); undefined: none registered. */
  canonicalCollator(actor: ActorId): AccountId | undefined;
  /** Disputes and collator misbehaviour recorded from `Report` transactions (disputes.ts). */
  reports(): ReportRecord[];
  /** Total issuance (falls by burned fees) and fees burned so far. */
  supply(): { issuance: bigint; burned: bigint };
  /**
   * The head's state proof for a storage key (trie/proof.ts): the value the root commits to under it
   * (undefined: absent, or not a state key) and the proof, for `verifyProof(stateRoot, key, value ?? null, proof)`.
   * Proofs are served at the head only (the trie is stored by position, the head's alone).
   */
  stateProof(storageKey: Uint8Array): StateProofAt;
}

/** A state proof with the head it is for. */
export interface StateProofAt {
  number: number;
  hash: Hash;
  stateRoot: Hash;
  value: Uint8Array | undefined;
  proof: StateProof;
}

export type { Engine, Storage };
