/**
 * The network's wire types (DESIGN §11), SCALE-encoded and decoded strictly (`decodeExact`): a block is
 * the chain's signed header (src/consensus/header.ts) with its body; votes and commits are
 * src/consensus/votes.ts's; plus the sync and status exchanges. Pure: codecs and the size bounds every
 * message is checked against before it is decoded.
 */
import { BlockHeaderCodec } from "../chain/index.ts";
import { SignedStatement } from "../chain/statement.ts";
import {
  AccountIdCodec,
  Bytes,
  decodeExact,
  HashCodec,
  Option,
  Struct,
  u16,
  u32,
  u64,
  Vector,
  VecU8,
} from "../codec/types.ts";
import { SIGNED_VOTE_BYTES } from "../consensus/votes.ts";

/** Largest block on the wire (header, seal and body): a full block of calls fits well below it. */
export const MAX_BLOCK_BYTES = 8 * 1024 * 1024;
/** Largest transaction gossiped alone. */
export const MAX_TX_BYTES = 256 * 1024;
/** Blocks per sync response, and the bytes a response may hold. */
export const MAX_SYNC_BLOCKS = 64;
export const MAX_SYNC_RESPONSE_BYTES = 16 * 1024 * 1024;
export const MAX_REQUEST_BYTES = 1024;
/** Votes a peer serves at most when asked (a few rounds of a large set). */
export const MAX_VOTES_SERVED = 1024;
export const MAX_VOTES_RESPONSE_BYTES = 8 + MAX_VOTES_SERVED * (4 + SIGNED_VOTE_BYTES);

/**
 * A PoV as a block carries it: what `chain.applyBlock` admits (`ValidatedPov`), effects SCALE-encoded,
 * and the backing statements of its core's group (issue 15; empty on a network without collators,
 * whose followers re-validate every PoV).
 */
export const NetPov = Struct({
  core: u16,
  pov: VecU8,
  effects: VecU8,
  collator: AccountIdCodec,
  statements: Vector(SignedStatement),
});
export type NetPov = ReturnType<typeof NetPov.dec>;

/** The included transactions (those the chain applied) and the admitted PoVs, in block order. */
export const NetBody = Struct({ txs: Vector(VecU8), povs: Vector(NetPov) });
export type NetBody = ReturnType<typeof NetBody.dec>;

/**
 * A block: the chain's header (its hash is the chain's block hash, its `txsRoot`, `povsRoot` and
 * `stateRoot` commit to the body and the state after it), the author's seal over that hash, the body.
 * `{ header, seal }` is a consensus `SignedHeader`.
 */
export const NetBlock = Struct({ header: BlockHeaderCodec, seal: Bytes(64), body: NetBody });
export type NetBlock = ReturnType<typeof NetBlock.dec>;

/** Sync: up to `max` blocks of the responder's best chain, from number `from` on. */
export const SyncRequest = Struct({ from: u32, max: u16 });
export type SyncRequest = ReturnType<typeof SyncRequest.dec>;
/** The blocks, and the responder's last finality proof (an encoded consensus `Commit`). */
export const SyncResponse = Struct({ blocks: Vector(NetBlock), commit: Option(VecU8) });
export type SyncResponse = ReturnType<typeof SyncResponse.dec>;

/** Encoded signed votes (consensus `encodeVote`), as served to a peer that missed them. */
export const VoteList = Vector(VecU8);

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
