/**
 * The relay chain (DESIGN §3, §4, §7, §8): a deterministic state machine over a {@link Storage}.
 * See src/chain/README.md for the state layout, transactions, fees and the API.
 *
 * @example
 * import { createChain, createMemoryStorage, signTx } from "./chain/index.ts";
 * const chain = createChain({ storage: createMemoryStorage(), engine, config: { genesis } });
 * const block = chain.applyBlock({ txs: [tx], povs: [validated], author });
 */
export { createChain } from "./chain.ts";
export { type ChainConfig, chainConfig, DEFAULT_CHAIN_CONFIG } from "./config.ts";
export {
  ChainError,
  EffectsRejected,
  type ExpiryReason,
  type PovRejectCode,
  PovRejected,
  TxError,
  type TxErrorCode,
} from "./errors.ts";
export { EMPTY_HEAD, nextHead } from "./pigeonhole.ts";
export type {
  AccountInfo,
  ActorInfo,
  BlockHeader,
  BlockRecord,
  CodeInfo,
  PreimageInfo,
  QueuedCall,
  Receipt,
} from "./state.ts";
export { isStateTable, META_KEY, MetaState, metaStateBytes } from "./state-root.ts";
export { createOverlay, type KvRead, type KvWrite, type Storage, StorageError } from "./storage.ts";
export { createLmdbStorage } from "./storage-lmdb.ts";
export { createMemoryStorage } from "./storage-memory.ts";
export {
  decodeProof,
  EMPTY_ROOT,
  encodeProof,
  type ProofEnd,
  rootOfLeaves,
  type StateProof,
  StateProofCodec,
  trieChange,
  updateTrie,
  verifyProof,
} from "./trie/index.ts";
export {
  assembleTx,
  type DecodedTx,
  decodeTx,
  decodeTxUnverified,
  forgetVerifiedTxs,
  minFee,
  prepareTx,
  preverifyTxs,
  type SignatureCheck,
  SignedTx,
  signatureCheck,
  signTx,
  TxCall,
  TxPayload,
  txHash,
  type UnsignedTx,
  verifyTxs,
  verifyTxsWhole,
} from "./tx.ts";
export type {
  BlockInput,
  BlockResult,
  Chain,
  ChainOptions,
  PigeonholeView,
  PoolView,
  PovOutcome,
  StateProofAt,
  TxApplied,
  TxOutcome,
  ValidatedPov,
} from "./types.ts";
