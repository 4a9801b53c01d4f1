/**
 * State proofs (DESIGN §11: "inclusion proofs are served over RPC, so a light client can check a
 * value"): the sibling hashes down the key's path and what ends it. {@link verifyProof} needs only the
 * root from a header. Pure; the verifier never throws.
 */
import { bytesEqual } from "../../codec/bytes.ts";
import type { Hash } from "../../codec/ids.ts";
import { _void, CodecError, decodeExact, Enum, HashCodec, Struct, Vector } from "../../codec/types.ts";
import { blake2b256 } from "../../crypto/blake2b.ts";
import { err, ok, type Result } from "../../errors.ts";
import type { KvRead } from "../storage.ts";
import { bitAt, branchHash, EMPTY_ROOT, LEAF, leafHash } from "./node.ts";
import { positionKey } from "./store.ts";

/** Where the key's path ends: an empty position, or a leaf (the key's own, or another's: absence). */
export type ProofEnd = { tag: "Empty" } | { tag: "Leaf"; keyHash: Hash; valueHash: Hash };

export interface StateProof {
  /** Sibling hashes from the root down (the i-th is the sibling at depth i + 1). */
  siblings: Hash[];
  end: ProofEnd;
}

/** A key hash has 256 bits: no path is deeper. */
export const MAX_PROOF_DEPTH = 256;

/**
 * The proof for `storageKey` in the trie stored in `kv` (its current root).
 * @example const proof = proveKey(storage, key(Prefix.Account, alice));
 */
export function proveKey(kv: KvRead, storageKey: Uint8Array): StateProof {
  const keyHash = blake2b256(storageKey);
  const path = new Uint8Array(32);
  const siblings: Hash[] = [];
  for (let depth = 0; depth <= MAX_PROOF_DEPTH; depth++) {
    const node = kv.get(positionKey(depth, path));
    if (node === undefined) return { siblings, end: { tag: "Empty" } };
    if (node[0] === LEAF) {
      return {
        siblings,
        end: { tag: "Leaf", keyHash: node.slice(1, 33) as Hash, valueHash: node.slice(33, 65) as Hash },
      };
    }
    const bit = bitAt(keyHash, depth);
    siblings.push(node.slice(bit === 0 ? 33 : 1, bit === 0 ? 65 : 33) as Hash);
    if (bit === 1) path[depth >> 3] = (path[depth >> 3] as number) | (0x80 >> (depth & 7));
    // A branch whose child on our side is empty: the path ends there.
    if (bytesEqual(node.subarray(bit === 0 ? 1 : 33, bit === 0 ? 33 : 65), EMPTY_ROOT)) {
      return { siblings, end: { tag: "Empty" } };
    }
  }
  return { siblings, end: { tag: "Empty" } }; // not reachable: a path ends within 256 bits
}

/**
 * Whether `proof` shows that, under `root`, `storageKey` holds `value` (or, with `null`, holds
 * nothing). False for any malformed proof; never throws.
 *
 * @example
 * verifyProof(header.stateRoot, key, value, proof); // true
 * verifyProof(header.stateRoot, key, null, proof); // false: the key is there
 */
export function verifyProof(
  root: Uint8Array,
  storageKey: Uint8Array,
  value: Uint8Array | null,
  proof: StateProof,
): boolean {
  try {
    if (!(root instanceof Uint8Array) || root.length !== 32 || !(storageKey instanceof Uint8Array))
      return false;
    const { siblings, end } = proof;
    if (!Array.isArray(siblings) || siblings.length > MAX_PROOF_DEPTH) return false;
    if (!siblings.every((s) => s instanceof Uint8Array && s.length === 32)) return false;
    const keyHash = blake2b256(storageKey);
    const depth = siblings.length;
    let node: Hash;
    if (end.tag === "Empty") {
      if (value !== null) return false;
      node = EMPTY_ROOT;
    } else if (end.tag === "Leaf") {
      if (!(end.keyHash instanceof Uint8Array) || end.keyHash.length !== 32) return false;
      if (!(end.valueHash instanceof Uint8Array) || end.valueHash.length !== 32) return false;
      const mine = bytesEqual(end.keyHash, keyHash);
      if (value === null) {
        // Absence by another key's leaf: that leaf must sit on our path (share its first `depth` bits).
        if (mine) return false;
        for (let i = 0; i < depth; i++) if (bitAt(end.keyHash, i) !== bitAt(keyHash, i)) return false;
      } else if (!mine || !bytesEqual(end.valueHash, blake2b256(value))) return false;
      node = leafHash(end.keyHash, end.valueHash);
    } else return false;
    for (let d = depth - 1; d >= 0; d--) {
      const sib = siblings[d] as Hash;
      node = bitAt(keyHash, d) === 0 ? branchHash(node, sib) : branchHash(sib, node);
    }
    return bytesEqual(node, root);
  } catch {
    return false;
  }
}

/** The SCALE form of a {@link StateProof} (what the network and `state_v1_proof` carry). */
export const StateProofCodec = Struct({
  siblings: Vector(HashCodec),
  end: Enum({ Empty: _void, Leaf: Struct({ keyHash: HashCodec, valueHash: HashCodec }) }),
});

const toCodec = (p: StateProof) => ({
  siblings: p.siblings,
  end:
    p.end.tag === "Empty"
      ? { tag: "Empty" as const, value: undefined }
      : { tag: "Leaf" as const, value: { keyHash: p.end.keyHash, valueHash: p.end.valueHash } },
});

/** @example const bytes = encodeProof(proveKey(storage, k)); */
export const encodeProof = (p: StateProof): Uint8Array => StateProofCodec.enc(toCodec(p));

/**
 * Decodes a proof's bytes; a refusal (never a throw) for truncated, oversized or non-canonical input.
 * @example const r = decodeProof(bytes); if (r.ok) verifyProof(root, k, v, r.value);
 */
export function decodeProof(bytes: Uint8Array): Result<StateProof, CodecError> {
  try {
    if (bytes.length > 8 + 32 * (MAX_PROOF_DEPTH + 3)) {
      return err(new CodecError("State proof too large", { details: `${bytes.length} bytes` }));
    }
    const v = decodeExact(StateProofCodec, bytes, "state proof");
    if (v.siblings.length > MAX_PROOF_DEPTH) {
      return err(new CodecError("State proof too deep", { details: `${v.siblings.length} siblings` }));
    }
    return ok({
      siblings: v.siblings,
      end:
        v.end.tag === "Empty"
          ? { tag: "Empty" }
          : { tag: "Leaf", keyHash: v.end.value.keyHash, valueHash: v.end.value.valueHash },
    });
  } catch (e) {
    return err(e instanceof CodecError ? e : new CodecError("Malformed state proof", { cause: e }));
  }
}
