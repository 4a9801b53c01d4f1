import type { ActorInterface } from "../iface/types.ts";

/**
 * The JSON shapes of the RPC API (docs/rpc.md) and the {@link NodeApi} the server serves them from.
 * Bytes are 0x hex, amounts and sequences decimal strings (u128/u64 do not fit a JSON number).
 */

export type Hex = `0x${string}`;

/** A PoV as the relay chain saw it. */
export interface PovJson {
  hash: Hex;
  core: number;
  /** Index of the collator that built it. */
  collator: number;
  /** Co-scheduled actors, ascending. */
  actors: number[];
  /** Agenda `Call` items. */
  calls: number;
  gasUsed: string;
  /** Encoded size in bytes. */
  size: number;
  /** Relay block the PoV was built on. */
  relayParent: number;
  status: "pending" | "canonicalised" | "expired" | "invalid" | "unbacked";
  /** Validator workers that re-executed it and agreed; empty when unbacked. */
  backers: number[];
  /** On a network with collator processes (issue 15): the collator's and the backing validators' keys. */
  collatorKey?: Hex;
  backerKeys?: Hex[];
  /** For `invalid`/`expired`/`unbacked`: why. */
  reason?: string;
  /** What its actors' `payout()` offered the collator (decimal; capped by their balances when paid). */
  payout?: string;
}

export interface BlockJson {
  number: number;
  hash: Hex;
  parentHash: Hex;
  /** The state trie's root after the block (DESIGN §11); `state_v1_proof` proves values against it. */
  stateRoot: Hex;
  /** The author's public key. */
  author: Hex;
  /** Unix milliseconds when the node produced it (informational; never part of consensus). */
  timestamp: number;
  /** PoVs canonicalised in this block. */
  povs: PovJson[];
  /** PoVs that expired or were found invalid in this block. */
  dropped: PovJson[];
  /** Transactions (uploads, creations, transfers) included. */
  extrinsics: number;
  /** Their fees (decimal), paid to the block's author (issue 13 §4). */
  fees?: string;
}

export type MainStatusJson = "pending" | "suspended" | "ended" | "failed";

export interface ActorJson {
  id: number;
  /** Program name from its metadata, "" if unknown. */
  name: string;
  /** The engine that runs its program: `wasm` or `riscv` (the PVM, DESIGN §12); "" if unknown. */
  engine: "wasm" | "riscv" | "";
  codeHash: Hex;
  stateHash: Hex;
  sequence: string;
  balance: string;
  owner: Hex | null;
  status: MainStatusJson;
  /** User calls waiting in the node's pool. */
  queuedCalls: number;
  /** Postcards waiting in the pigeonhole. */
  mailbox: number;
  /** The actor's last `set_code` (DESIGN §10), once it called one: refused ones keep it on `from`. */
  lastUpgrade?: UpgradeJson;
}

export interface UpgradeJson {
  block: number;
  from: Hex;
  to: Hex;
  ok: boolean;
  /** Gas `upgrade` used (ok), or why the upgrade was refused. */
  gasUsed?: string;
  reason?: string;
}

export interface ReceiptJson {
  callId: Hex;
  actor: number;
  status: "queued" | "canonicalised" | "dropped";
  /** Present once canonicalised: `Ok` of `Result<Vec<u8>, CallError>`. */
  ok?: boolean;
  /** The reply bytes (ok) or the actor's error bytes (Actor error); "0x" for other errors. */
  output?: Hex;
  /** For failed calls: `Actor`, `OutOfGas`, `Trap`, `YieldInCall`, `Reentry` or `NotCoscheduled`. */
  error?: string;
  block?: number;
  pov?: Hex;
  /** Why a dropped call was dropped: the chain's or the pool's code (e.g. `TX_QUEUE_FULL`). */
  reason?: { code: string; message: string; details?: string };
}

export interface LogJson {
  actor: number;
  block: number;
  line: string;
}

export interface AccountJson {
  index: number;
  publicKey: Hex;
  secretKey: Hex;
  balance: string;
}

/** A transaction submitted with `tx_v1_submit`, as far as the node knows. */
export interface TxStatusJson {
  hash: Hex;
  /** `pending`: admitted (signature verified), waiting for a block or for a missing nonce. */
  status: "pending" | "included" | "refused";
  /** The block that included or refused it. */
  block?: number;
  /** Why it was refused: the chain's code (e.g. `TX_INSUFFICIENT_FUNDS`). */
  error?: { code: string; message: string; details?: string };
  /** An included `Call`: its receipt (call id = this hash), `queued` until a play ran it. */
  receipt?: ReceiptJson;
}

export interface NodeInfoJson {
  version: string;
  cores: number;
  collators: number;
  validators: number;
  blockTime: "instant" | "manual" | number;
  coreGas: string;
  dataDir: string;
}

/** Tagged events of `chain_v1_follow`. */
export type ChainEvent =
  | { event: "newBlock"; block: BlockJson }
  | { event: "canonicalised"; block: number; pov: PovJson }
  | { event: "expired"; block: number; pov: PovJson }
  | { event: "invalid"; block: number; pov: PovJson };

/** Tagged events of `actor_v1_follow`. */
export type ActorEvent =
  | { event: "state"; actor: ActorJson }
  | { event: "log"; log: LogJson }
  | { event: "receipt"; receipt: ReceiptJson };

/** What the node pushes to the RPC layer. */
export type NodeEvent = ChainEvent | ActorEvent;

/**
 * What the RPC server needs from a node. `src/node` implements it; the RPC layer only parses params,
 * calls these and serialises the answers.
 */
/** `state_v1_proof`'s answer: a value (or its absence) under a block's state root, with the proof. */
export interface StateProofJson {
  block: number;
  hash: Hex;
  stateRoot: Hex;
  key: Hex;
  /** The bytes the root commits to under `key`; null: absent. */
  value: Hex | null;
  proof: { siblings: Hex[]; end: { tag: "Empty" } | { tag: "Leaf"; keyHash: Hex; valueHash: Hex } };
  /** The SCALE `StateProof` (chain/trie/proof.ts), for `decodeProof` then `verifyProof`. */
  encoded: Hex;
}

export interface NodeApi {
  info(): NodeInfoJson;
  /** The head's state proof for a storage key (proofs are served at the head only). */
  stateProof(key: Uint8Array): StateProofJson;
  head(): BlockJson;
  block(ref: number | Hex): BlockJson | undefined;
  subscribe(listener: (e: NodeEvent) => void): () => void;

  uploadCode(blob: Uint8Array): Promise<{ codeHash: Hex; name: string }>;
  createActor(req: {
    codeHash: Hex;
    args: Uint8Array;
    balance?: bigint;
  }): Promise<{ actor: number; codeHash: Hex }>;
  listActors(): ActorJson[];
  actor(id: number): ActorJson | undefined;
  /**
   * Queues a user call; resolves with its id once admitted (durable: it survives a restart). Its
   * status (`receipt`) is `queued`, then `canonicalised` with the receipt, or `dropped` with a reason.
   */
  submitCall(actor: number, data: Uint8Array): Promise<{ callId: Hex }>;
  receipt(callId: Hex): ReceiptJson | undefined;
  /**
   * Posts a postcard from a dev account into the actor's pigeonhole; resolves with its call id once
   * admitted (durable); `canonicalised` once a block delivered it. `block`: the head at admission.
   */
  send(actor: number, data: Uint8Array): Promise<{ callId: Hex; block: number }>;
  /**
   * Admits a transaction signed by the client (SCALE `SignedTx` bytes): resolves with its hash once
   * decoded and its signature verified; rejects with a Rejected RpcError carrying the chain's code
   * (`TX_MALFORMED`, `TX_BAD_SIGNATURE`, `TX_STALE_NONCE`, …). A block includes it later.
   */
  submitTx(bytes: Uint8Array): Promise<{ hash: Hex }>;
  /** What a client needs to sign its next transaction: the account's next nonce and the fee rule. */
  txPrepare(account: Hex): { nonce: string; baseFee: string; feePerByte: string };
  /** What became of a transaction admitted by {@link submitTx} (the latest 10 000 are kept). */
  txStatus(hash: Hex): TxStatusJson | undefined;
  /** Resolves once the call is canonicalised or dropped; rejects with a Timeout RpcError. */
  waitReceipt(callId: Hex, timeoutMs: number): Promise<ReceiptJson>;
  /** Runs `call` on a throw-away copy of the actor's current image. */
  query(actor: number, data: Uint8Array): Promise<{ ok: boolean; output: Hex; error?: string }>;
  logs(actor: number, opts: { fromBlock?: number; limit?: number }): LogJson[];
  /** The interface the actor's program declares (null: none); undefined for an unknown actor. */
  actorInterface?(actor: number): ActorInterface | null | undefined;
  /** Runs a call like {@link query}, recording its call tree (src/trace). */
  traceCall?(actor: number, data: Uint8Array): unknown;

  diskStore(data: Uint8Array): Promise<{ hash: Hex }>;
  diskGet(hash: Hex): Uint8Array | undefined;
  diskStats(): { items: number; bytes: number };

  pov(hash: Hex): Uint8Array | undefined;
  /** Re-executes PoV bytes against the current relay view. */
  validatePov(bytes: Uint8Array): Promise<{ valid: boolean; reason: string }>;

  newBlocks(count: number): Promise<BlockJson>;
  snapshot(): Promise<{ id: string; block: number }>;
  revert(id: string): Promise<BlockJson>;
  setBalance(target: { actor: number } | { account: Hex }, amount: bigint): Promise<{ balance: string }>;
  accounts(): AccountJson[];
}
