/**
 * The network's wire types (DESIGN §11), SCALE-encoded and decoded strictly (`decodeExact`): signed block
 * headers with their bodies, finality votes, and the sync and status exchanges. Pure: codecs, hashing and
 * the size bounds every message is checked against before it is decoded.
 */
import { concatBytes } from "../codec/bytes.ts";
import type { Hash } from "../codec/ids.ts";
import {
  AccountIdCodec,
  Bytes,
  decodeExact,
  encode,
  HashCodec,
  Option,
  Struct,
  u8,
  u16,
  u32,
  u64,
  Vector,
  VecU8,
} from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";

/** Largest block on the wire (header, body and seal): a full block of calls fits well below it. */
export const MAX_BLOCK_BYTES = 8 * 1024 * 1024;
/** Largest transaction gossiped alone. */
export const MAX_TX_BYTES = 256 * 1024;
/** A vote is about 130 bytes; anything larger is garbage. */
export const MAX_VOTE_BYTES = 256;
/** Blocks per sync response, and the bytes a response may hold. */
export const MAX_SYNC_BLOCKS = 64;
export const MAX_SYNC_RESPONSE_BYTES = 16 * 1024 * 1024;
export const MAX_REQUEST_BYTES = 1024;

/**
 * A block header: its chain position, the Aura slot and author (index into the spec's validators), the
 * relay chain's own block hash after re-execution (`chainHash`, which commits to the included
 * transactions and admitted PoVs), the state root after the block, and the hash of the body.
 */
export const NetHeader = Struct({
  number: u32,
  parent: HashCodec,
  slot: u64,
  author: u16,
  chainHash: HashCodec,
  stateRoot: HashCodec,
  bodyHash: HashCodec,
});
export type NetHeader = ReturnType<typeof NetHeader.dec>;

/** A PoV as a block carries it: what `chain.applyBlock` admits (`ValidatedPov`), effects SCALE-encoded. */
export const NetPov = Struct({ core: u16, pov: VecU8, effects: VecU8, collator: AccountIdCodec });
export type NetPov = ReturnType<typeof NetPov.dec>;

export const NetBody = Struct({ txs: Vector(VecU8), povs: Vector(NetPov) });
export type NetBody = ReturnType<typeof NetBody.dec>;

/** `seal` is the author's ed25519 signature over `SEAL_DOMAIN ‖ genesis ‖ SCALE(header)`. */
export const NetBlock = Struct({ header: NetHeader, body: NetBody, seal: Bytes(64) });
export type NetBlock = ReturnType<typeof NetBlock.dec>;

/** A finality vote: `stage` 0 = prevote, 1 = precommit (GRANDPA's two phases). */
export const Vote = Struct({
  round: u64,
  stage: u8,
  target: HashCodec,
  number: u32,
  voter: u16,
  signature: Bytes(64),
});
export type Vote = ReturnType<typeof Vote.dec>;

/** A finalised block with the precommits that prove it (kept and served with the block). */
export const Justification = Struct({ round: u64, target: HashCodec, number: u32, precommits: Vector(Vote) });
export type Justification = ReturnType<typeof Justification.dec>;

/** Sync: up to `max` blocks of the responder's best chain, from number `from` on. */
export const SyncRequest = Struct({ from: u32, max: u16 });
export type SyncRequest = ReturnType<typeof SyncRequest.dec>;
export const SyncResponse = Struct({ blocks: Vector(NetBlock), justification: Option(Justification) });
export type SyncResponse = ReturnType<typeof SyncResponse.dec>;

/** Status: a peer's head and finalised block, its round, so a node knows whom to sync from. */
export const Status = Struct({
  genesis: HashCodec,
  head: u32,
  headHash: HashCodec,
  finalized: u32,
  finalizedHash: HashCodec,
  round: u64,
});
export type Status = ReturnType<typeof Status.dec>;

const te = new TextEncoder();
export const SEAL_DOMAIN = te.encode("coreplay/net/seal");
export const VOTE_DOMAIN = te.encode("coreplay/net/vote");

export const headerHash = (h: NetHeader): Hash => blake2b256(encode(NetHeader, h));
export const bodyHash = (b: NetBody): Hash => blake2b256(encode(NetBody, b));

/** What the author signs: bound to the genesis so a seal never counts on another chain. */
export const sealMessage = (genesis: Hash, h: NetHeader): Uint8Array =>
  concatBytes(SEAL_DOMAIN, genesis, encode(NetHeader, h));

/** What a voter signs: the round, stage and target, bound to the genesis. */
export function voteMessage(genesis: Hash, v: Omit<Vote, "signature" | "voter">): Uint8Array {
  const w = new Uint8Array(8 + 1 + 32 + 4);
  const dv = new DataView(w.buffer);
  dv.setBigUint64(0, v.round);
  dv.setUint8(8, v.stage);
  w.set(v.target, 9);
  dv.setUint32(41, v.number);
  return concatBytes(VOTE_DOMAIN, genesis, w);
}

/** Decodes a message after checking its size; throws `CodecError` (the caller scores the peer). */
export function decodeBounded<T>(
  codec: Parameters<typeof decodeExact<T>>[0],
  bytes: Uint8Array,
  max: number,
  what: string,
): T {
  if (bytes.byteLength > max) throw new RangeError(`${what}: ${bytes.byteLength} bytes, at most ${max}`);
  return decodeExact(codec, bytes, what);
}
