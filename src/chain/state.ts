/**
 * The relay chain's state layout (src/chain/README.md "State layout"): SCALE records in typed tables.
 * DESIGN §4 (actors), §7 (disk), §8 (blocks).
 */
import type { AccountId, ActorId, CodeHash, Hash } from "../codec/ids.ts";
import {
  _void,
  AccountIdCodec,
  ActorIdCodec,
  BalanceCodec,
  CodeHashCodec,
  decodeExact,
  Enum,
  HashCodec,
  Message,
  Origin,
  Struct,
  u16,
  u32,
  u64,
  Vector,
  VecU8,
} from "../codec/types.ts";
import { PovEffects } from "../pov/types.ts";
import {
  accountCodec,
  actorCodec,
  queuedCallCodec,
  queuedCallInput,
  type RecordCodec,
  receiptCodec,
  recordCodec,
} from "./record-codec.ts";
import { StatementVerdict } from "./statement.ts";
import { hashKeyString, key, Prefix, table, u32String, u32u64KeyString } from "./storage.ts";
import { UpgradeReceipt } from "./upgrade-receipt.ts";

export const AccountInfo = Struct({ free: BalanceCodec, reserved: BalanceCodec, nonce: u64 });
export type AccountInfo = ReturnType<typeof AccountInfo.dec>;

/** A stored program: `refs` = 1 for the upload + 1 per actor running it. */
export const CodeInfo = Struct({ refs: u32, size: u32, uploader: AccountIdCodec, deposit: BalanceCodec });
export type CodeInfo = ReturnType<typeof CodeInfo.dec>;

/** A FIFO of keyed entries `[first, first + len)`. */
export const Queue = Struct({ first: u64, len: u32 });
export type Queue = ReturnType<typeof Queue.dec>;

/**
 * A pigeonhole: a bounded FIFO of postcards with a running hash chain (DESIGN §4; issue "Postcards").
 * `head` is the chain over every message ever consumed; `tail` over every message ever enqueued.
 */
export const Pigeonhole = Struct({ queue: Queue, head: HashCodec, tail: HashCodec });
export type Pigeonhole = ReturnType<typeof Pigeonhole.dec>;

/** Relay state of one actor (DESIGN §4) plus its queues and disk account (DESIGN §7). */
export const ActorInfo = Struct({
  codeHash: CodeHashCodec,
  stateHash: HashCodec,
  sequence: u64,
  owner: AccountIdCodec,
  balance: BalanceCodec,
  /** Disk bytes prepaid (Reserve) and in use (actor `store`s). */
  diskReserved: u64,
  diskUsed: u64,
  diskDeposit: BalanceCodec,
  calls: Queue,
  pigeonhole: Pigeonhole,
  createdAt: u32,
});
export type ActorInfo = ReturnType<typeof ActorInfo.dec>;

/** A user call waiting for a collator (an agenda `Call` item to be). `id` is the Call transaction's hash. */
export const QueuedCall = Struct({ id: HashCodec, from: AccountIdCodec, input: VecU8, queuedAt: u32 });
export type QueuedCall = ReturnType<typeof QueuedCall.dec>;

/** The result of a queued call, once a canonicalised PoV ran it. `output` is SCALE `CallOutput`. */
export const Receipt = Struct({
  id: HashCodec,
  actor: ActorIdCodec,
  block: u32,
  sequence: u64,
  output: VecU8,
});
export type Receipt = ReturnType<typeof Receipt.dec>;

/**
 * A block header; the block hash is blake2b-256 of its SCALE encoding (the seal, the author's
 * signature over that hash, is kept beside it in the {@link BlockRecord}).
 */
export const BlockHeader = Struct({
  number: u32,
  parent: HashCodec,
  /** The author's ed25519 public key (a validator's under Aura, DESIGN §11). */
  author: AccountIdCodec,
  /** Aura slot, ⌊unix ms / slot ms⌋ (DESIGN §11); `coreplay dev` uses the block number. */
  slot: u64,
  /** blake2b-256 over the included transactions' hashes. */
  txsRoot: HashCodec,
  /** blake2b-256 over the admitted PoVs' ids. */
  povsRoot: HashCodec,
  /** The state trie's root after this block (state-root.ts). */
  stateRoot: HashCodec,
});
export type BlockHeader = ReturnType<typeof BlockHeader.dec>;

export const BlockRecord = Struct({
  header: BlockHeader,
  hash: HashCodec,
  txs: Vector(HashCodec),
  admitted: Vector(HashCodec),
  canonicalised: Vector(HashCodec),
  expired: Vector(HashCodec),
  /** The author's signature over `hash` (empty: an unsigned block, as genesis). */
  seal: VecU8,
});
export type BlockRecord = ReturnType<typeof BlockRecord.dec>;

/**
 * A validated PoV waiting for its predecessors (DESIGN §4), keyed by admission order. Its PoV bytes are
 * kept apart (PoolPov) so the cascade's condition checks never decode slab images.
 */
export const PoolEntry = Struct({
  id: HashCodec,
  core: u16,
  collator: AccountIdCodec,
  admittedAt: u32,
  effects: PovEffects,
});
export type PoolEntry = ReturnType<typeof PoolEntry.dec>;

export const ChainMeta = Struct({
  head: u32,
  headHash: HashCodec,
  genesisHash: HashCodec,
  nextActor: u32,
  /** Sum of every balance and deposit; falls by each burned fee. */
  issuance: BalanceCodec,
  burned: BalanceCodec,
  poolSeq: u64,
});
export type ChainMeta = ReturnType<typeof ChainMeta.dec>;

/** Who holds a preimage reference: an account (Store tx) or an actor (`store` host call). */
export type Owner = ReturnType<typeof Origin.dec>;

export const PreimageInfo = Struct({ refs: u32, size: u32 });
export type PreimageInfo = ReturnType<typeof PreimageInfo.dec>;
/** One owner's references to one preimage, with the deposit they hold. */
export const PreimageRef = Struct({ count: u32, deposit: BalanceCodec });
export type PreimageRef = ReturnType<typeof PreimageRef.dec>;

/** A registered collator (collators.ts): its bond, reserved from its account, and when it joined. */
export const CollatorInfo = Struct({ bond: BalanceCodec, since: u32 });
export type CollatorInfo = ReturnType<typeof CollatorInfo.dec>;

/**
 * What backing statements proved about one PoV (disputes.ts): a `Dispute` (validators said valid and
 * others invalid: the valid ones backed an invalid PoV, or the invalid ones lied) or `Misbehaviour` (a
 * collator's PoV found invalid by enough validators: its bond is slashed to the reporter).
 */
export const ReportRecord = Struct({
  kind: Enum({ Dispute: _void, Misbehaviour: _void }),
  pov: HashCodec,
  relayParent: HashCodec,
  core: u16,
  collator: AccountIdCodec,
  block: u32,
  reporter: AccountIdCodec,
  valid: Vector(AccountIdCodec),
  invalid: Vector(AccountIdCodec),
  /** The first invalid statement's verdict (its reason). */
  verdict: StatementVerdict,
  slashed: BalanceCodec,
});
export type ReportRecord = ReturnType<typeof ReportRecord.dec>;

const ownerKey = (o: Owner): Uint8Array => Origin.enc(o);

// The hot records' tables use hand-written codecs of the same bytes (record-codec.ts).
export const FAST = {
  account: accountCodec as RecordCodec<AccountInfo>,
  actor: actorCodec as RecordCodec<ActorInfo>,
  meta: recordCodec<ChainMeta>([
    ["head", "u32"],
    ["headHash", "bytes32"],
    ["genesisHash", "bytes32"],
    ["nextActor", "u32"],
    ["issuance", "u128"],
    ["burned", "u128"],
    ["poolSeq", "u64"],
  ]),
  call: queuedCallCodec as RecordCodec<QueuedCall>,
  receipt: receiptCodec as RecordCodec<Receipt>,
};

// Key strings of the hot tables written out (storage.ts `keyString(key(...))`, without the bytes).
const P = (p: number) => String.fromCharCode(p);
const ACTOR = P(Prefix.Actor);

export const T = {
  meta: table(Prefix.Meta, (_: null) => [], FAST.meta, { cache: true, keyString: () => "\x00" }),
  account: table(Prefix.Account, (a: AccountId) => [a], FAST.account, {
    cache: true,
    keyString: (a) => hashKeyString(Prefix.Account, a),
  }),
  codeInfo: table(Prefix.CodeInfo, (h: CodeHash) => [h], CodeInfo),
  codeBlob: table(Prefix.CodeBlob, (h: CodeHash) => [h], VecU8),
  actor: table(Prefix.Actor, (id: ActorId) => [id], FAST.actor, {
    cache: true,
    keyString: (id) => ACTOR + u32String(id),
  }),
  call: table(Prefix.CallQueue, ([id, i]: [ActorId, bigint]) => [id, i], FAST.call, {
    keyString: ([id, i]) => u32u64KeyString(Prefix.CallQueue, id, i),
  }),
  /**
   * The call table again, reading the stored bytes themselves (read-only, read and dropped at once:
   * `queuedCallIdIf` reads what canonicalisation needs of them in place).
   */
  callBytes: table(
    Prefix.CallQueue,
    ([id, i]: [ActorId, bigint]) => [id, i],
    { enc: (v: Uint8Array) => v.slice(), dec: (b: Uint8Array) => b },
    { keyString: ([id, i]) => u32u64KeyString(Prefix.CallQueue, id, i) },
  ),
  /** The call table again, reading a call's input alone (a copy): what a collator's agenda needs. */
  callInputs: table(
    Prefix.CallQueue,
    ([id, i]: [ActorId, bigint]) => [id, i],
    {
      enc: () => {
        throw new TypeError("callInputs is read-only: write calls through T.call");
      },
      dec: queuedCallInput,
    },
    { keyString: ([id, i]) => u32u64KeyString(Prefix.CallQueue, id, i) },
  ),
  message: table(Prefix.Pigeonhole, ([id, i]: [ActorId, bigint]) => [id, i], Message),
  receipt: table(Prefix.Receipt, (h: Hash) => [h], FAST.receipt, {
    keyString: (h) => hashKeyString(Prefix.Receipt, h),
  }),
  preimageInfo: table(Prefix.PreimageInfo, (h: Hash) => [h], PreimageInfo),
  preimageBlob: table(Prefix.PreimageBlob, (h: Hash) => [h], VecU8),
  preimageRef: table(Prefix.PreimageRef, ([o, h]: [Owner, Hash]) => [ownerKey(o), h], PreimageRef),
  /** Preimages an actor `request`ed, for the witness of its next play (value: the block it asked in). */
  request: table(Prefix.Request, ([id, h]: [ActorId, Hash]) => [id, h], u32),
  /** The actor's current image, full encoding (what the next PoV's slab `pre` is). */
  slab: table(Prefix.Slab, (id: ActorId) => [id], VecU8),
  /** The slab table again, decoding as a view: for reads that copy what they keep (`Chain.slabView`). */
  slabViews: table(Prefix.Slab, (id: ActorId) => [id], {
    enc: (v: Uint8Array) => VecU8.enc(v),
    dec: (b: Uint8Array) => decodeExact(VecU8, b, "state record", { views: true }),
  }),
  block: table(Prefix.Block, (n: number) => [n], BlockRecord),
  blockByHash: table(Prefix.BlockByHash, (h: Hash) => [h], u32),
  // Cached: a PoV admitted and canonicalised in one block (the usual case) is never encoded, copied or
  // decoded back; one still pooled is encoded when the block commits.
  pool: table(Prefix.Pool, (seq: bigint) => [seq], PoolEntry, { cache: true }),
  poolPov: table(Prefix.PoolPov, (seq: bigint) => [seq], VecU8, { cache: true }),
  /** PoV id → admission order, for duplicate checks. */
  poolById: table(Prefix.PoolById, (h: Hash) => [h], u64),
  /** Each actor's last `set_code`, and what became of it (DESIGN §10). */
  upgrade: table(Prefix.Upgrade, (id: ActorId) => [id], UpgradeReceipt),
  collator: table(Prefix.Collator, (c: AccountId) => [c], CollatorInfo),
  /** Collators that were canonical for the actor with work and brought no PoV (canonical.ts). */
  missed: table(Prefix.Missed, (id: ActorId) => [id], Vector(AccountIdCodec)),
  report: table(Prefix.Report, (pov: Hash) => [pov], ReportRecord),
};

export { key, ownerKey };
