/**
 * The state trie (DESIGN §11 "State root"): a binary Merkle trie over blake2b-256 key hashes, stored
 * by position in the chain's storage, updated incrementally, with inclusion and absence proofs that
 * {@link verifyProof} checks against a header's `stateRoot` alone. See README.md in this folder.
 */
export { branchHash, EMPTY_ROOT, leafHash } from "./node.ts";
export {
  decodeProof,
  encodeProof,
  MAX_PROOF_DEPTH,
  type ProofEnd,
  proveKey,
  type StateProof,
  StateProofCodec,
  verifyProof,
} from "./proof.ts";
export { rootOfLeaves, type TrieLeaf } from "./reference.ts";
export { hasTrie, storedRoot } from "./store.ts";
export { type TrieChange, trieChange, updateTrie } from "./update.ts";
