/**
 * Signed headers (DESIGN §11 "Block authorship"): the chain's `BlockHeader` (src/chain/state.ts) with
 * the author's ed25519 seal over its hash. The hash is the chain's block hash, blake2b-256 of the
 * SCALE header, so a sealed header names exactly the block `applyBlock` produced. Pure; the public
 * functions never throw on bad input.
 */
import { type BlockHeader, BlockHeaderCodec } from "../chain/index.ts";
import { concatBytes } from "../codec/bytes.ts";
import type { Hash } from "../codec/ids.ts";
import { Bytes, decodeExact, Struct } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { type Keypair, sign, verify } from "../crypto/ed25519.ts";
import { ok, type Result } from "../errors.ts";
import { type ConsensusRefusal, refuse } from "./errors.ts";

/** A header and its author's signature over {@link headerHash} (domain-separated). */
export interface SignedHeader {
  header: BlockHeader;
  seal: Uint8Array;
}

export const SignedHeaderCodec = Struct({ header: BlockHeaderCodec, seal: Bytes(64) });

/** The SCALE size of every signed header (all its fields are fixed-size). */
export const SIGNED_HEADER_BYTES = 4 + 32 + 32 + 8 + 32 + 32 + 32 + 64;

const SEAL_DOMAIN = new TextEncoder().encode("coreplay/header");

/** The block hash: blake2b-256 of the SCALE header (as `applyBlock` computes it). */
export const headerHash = (header: BlockHeader): Hash => blake2b256(BlockHeaderCodec.enc(header));

/** What the author signs: `"coreplay/header" ‖ hash`. */
export const sealMessage = (hash: Uint8Array): Uint8Array => concatBytes(SEAL_DOMAIN, hash);

/**
 * The author's seal over a block hash: pass it as `applyBlock({ seal: (h) => sealHash(h, key) })`.
 * @example const seal = sealHash(result.hash, key);
 */
export const sealHash = (hash: Uint8Array, key: Keypair): Uint8Array =>
  sign(sealMessage(hash), key.secretKey);

/**
 * Seals a header with the author's key (its `author` must be the key's public key).
 * @example const signed = signHeader(result.header, key);
 */
export function signHeader(header: BlockHeader, key: Keypair): SignedHeader & { hash: Hash } {
  const hash = headerHash(header);
  return { header, hash, seal: sealHash(hash, key) };
}

/**
 * Checks that `seal` is the header's `author` signature over its hash; returns the hash.
 * @example const r = verifyHeader(signed); if (!r.ok) peer.scoreDown(r.error.reason);
 */
export function verifyHeader(signed: SignedHeader): Result<Hash, ConsensusRefusal> {
  try {
    const { header, seal } = signed;
    if (!(seal instanceof Uint8Array) || seal.length !== 64)
      return refuse("BadSignature", "The seal is not 64 bytes");
    const hash = headerHash(header);
    if (!verify(seal, sealMessage(hash), header.author)) {
      return refuse("BadSignature", "The seal is not the author's signature over the header");
    }
    return ok(hash);
  } catch (e) {
    return refuse("Malformed", "The header cannot be encoded", (e as Error)?.message);
  }
}

/**
 * Decodes a signed header from the network (exact size, canonical); a refusal, never a throw.
 * @example const r = decodeSignedHeader(bytes);
 */
export function decodeSignedHeader(bytes: Uint8Array): Result<SignedHeader, ConsensusRefusal> {
  if (!(bytes instanceof Uint8Array)) return refuse("Malformed", "A signed header must be bytes");
  if (bytes.length > SIGNED_HEADER_BYTES) {
    return refuse(
      "Oversized",
      "Signed header too large",
      `${bytes.length} bytes, at most ${SIGNED_HEADER_BYTES}`,
    );
  }
  try {
    return ok(decodeExact(SignedHeaderCodec, bytes, "signed header"));
  } catch (e) {
    return refuse("Malformed", "The signed header does not decode", (e as Error)?.message);
  }
}

export const encodeSignedHeader = (s: SignedHeader): Uint8Array => SignedHeaderCodec.enc(s);
