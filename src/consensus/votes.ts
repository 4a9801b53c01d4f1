/**
 * GRANDPA messages (DESIGN §11 "Finality"): votes signed with ed25519 over the SCALE message
 * `{ round, phase, target hash, target number, set id }` under the domain "coreplay/grandpa", and
 * commits (a target with the signed precommits that finalise it) that a syncing node checks alone.
 * Pure; decoders and verifiers never throw.
 */
import { bytesEqual, concatBytes } from "../codec/bytes.ts";
import type { AccountId, Hash } from "../codec/ids.ts";
import { Bytes, decodeExact, HashCodec, Struct, u8, u16, u32, u64, Vector } from "../codec/types.ts";
import { type Keypair, sign, verify } from "../crypto/ed25519.ts";
import { ok, type Result } from "../errors.ts";
import type { BlockRef } from "./block-tree.ts";
import { type ConsensusRefusal, refuse } from "./errors.ts";

export type Phase = "prevote" | "precommit";

export interface Vote {
  round: bigint;
  phase: Phase;
  target: BlockRef;
  setId: bigint;
}

export interface SignedVote {
  vote: Vote;
  /** The voter's index in the validator set. */
  voter: number;
  signature: Uint8Array;
}

/** The threshold of DESIGN §11: n − ⌊(n−1)/3⌋ (3 of 4, 5 of 7). */
export const threshold = (n: number): number => n - Math.floor((n - 1) / 3);

const VoteMessage = Struct({ round: u64, phase: u8, targetHash: HashCodec, targetNumber: u32, setId: u64 });
const SignedVoteCodec = Struct({ message: VoteMessage, voter: u16, signature: Bytes(64) });
const Precommit = Struct({ targetHash: HashCodec, targetNumber: u32, voter: u16, signature: Bytes(64) });
const CommitCodec = Struct({
  setId: u64,
  round: u64,
  targetHash: HashCodec,
  targetNumber: u32,
  precommits: Vector(Precommit),
});

/** A signed vote's exact SCALE size. */
export const SIGNED_VOTE_BYTES = 8 + 1 + 32 + 4 + 8 + 2 + 64;
/** The most voters a set may have (a commit's size bound follows from it). */
export const MAX_VOTERS = 1024;
export const MAX_COMMIT_BYTES = 8 + 8 + 32 + 4 + 4 + MAX_VOTERS * (32 + 4 + 2 + 64);

const DOMAIN = new TextEncoder().encode("coreplay/grandpa");
const PHASES: Phase[] = ["prevote", "precommit"];

const messageOf = (v: Vote) => ({
  round: v.round,
  phase: v.phase === "prevote" ? 0 : 1,
  targetHash: v.target.hash,
  targetNumber: v.target.number,
  setId: v.setId,
});

/** What a voter signs: `"coreplay/grandpa" ‖ SCALE(round, phase, target hash, target number, set id)`. */
export const voteMessage = (v: Vote): Uint8Array => concatBytes(DOMAIN, VoteMessage.enc(messageOf(v)));

/** @example const sv = signVote({ round: 1n, phase: "prevote", target, setId: 0n }, 2, key); */
export const signVote = (vote: Vote, voter: number, key: Keypair): SignedVote => ({
  vote,
  voter,
  signature: sign(voteMessage(vote), key.secretKey),
});

/**
 * Checks a vote's set, voter and signature.
 * @example const r = verifyVote(sv, validators, 0n);
 */
export function verifyVote(
  sv: SignedVote,
  validators: readonly AccountId[],
  setId: bigint,
): Result<SignedVote, ConsensusRefusal> {
  try {
    if (sv.vote.setId !== setId)
      return refuse("WrongSetId", "A vote for another voter set", `set ${sv.vote.setId}, ours ${setId}`);
    const key = Number.isInteger(sv.voter) ? validators[sv.voter] : undefined;
    if (key === undefined)
      return refuse("UnknownVoter", "No such voter", `index ${sv.voter} of ${validators.length}`);
    if (!(sv.signature instanceof Uint8Array) || !verify(sv.signature, voteMessage(sv.vote), key)) {
      return refuse("BadSignature", "The vote's signature does not verify", `voter ${sv.voter}`);
    }
    return ok(sv);
  } catch (e) {
    return refuse("Malformed", "The vote is malformed", (e as Error)?.message);
  }
}

export const encodeVote = (sv: SignedVote): Uint8Array =>
  SignedVoteCodec.enc({ message: messageOf(sv.vote), voter: sv.voter, signature: sv.signature });

/** Decodes a vote from the network; a refusal, never a throw. */
export function decodeVote(bytes: Uint8Array): Result<SignedVote, ConsensusRefusal> {
  if (!(bytes instanceof Uint8Array)) return refuse("Malformed", "A vote must be bytes");
  if (bytes.length > SIGNED_VOTE_BYTES) return refuse("Oversized", "Vote too large", `${bytes.length} bytes`);
  try {
    const v = decodeExact(SignedVoteCodec, bytes, "vote");
    const phase = PHASES[v.message.phase];
    if (phase === undefined) return refuse("Malformed", "Unknown vote phase", String(v.message.phase));
    const m = v.message;
    return ok({
      vote: {
        round: m.round,
        phase,
        target: { hash: m.targetHash as Hash, number: m.targetNumber },
        setId: m.setId,
      },
      voter: v.voter,
      signature: v.signature,
    });
  } catch (e) {
    return refuse("Malformed", "The vote does not decode", (e as Error)?.message);
  }
}

/** A finality proof: the precommits of one round that reach the threshold for `target` or its descendants. */
export interface Commit {
  setId: bigint;
  round: bigint;
  target: BlockRef;
  precommits: { target: BlockRef; voter: number; signature: Uint8Array }[];
}

export const encodeCommit = (c: Commit): Uint8Array =>
  CommitCodec.enc({
    setId: c.setId,
    round: c.round,
    targetHash: c.target.hash,
    targetNumber: c.target.number,
    precommits: c.precommits.map((p) => ({
      targetHash: p.target.hash,
      targetNumber: p.target.number,
      voter: p.voter,
      signature: p.signature,
    })),
  });

/** Decodes a commit from the network; a refusal, never a throw. */
export function decodeCommit(bytes: Uint8Array): Result<Commit, ConsensusRefusal> {
  if (!(bytes instanceof Uint8Array)) return refuse("Malformed", "A commit must be bytes");
  if (bytes.length > MAX_COMMIT_BYTES)
    return refuse("Oversized", "Commit too large", `${bytes.length} bytes`);
  try {
    const c = decodeExact(CommitCodec, bytes, "commit");
    return ok({
      setId: c.setId,
      round: c.round,
      target: { hash: c.targetHash as Hash, number: c.targetNumber },
      precommits: c.precommits.map((p) => ({
        target: { hash: p.targetHash as Hash, number: p.targetNumber },
        voter: p.voter,
        signature: p.signature,
      })),
    });
  } catch (e) {
    return refuse("Malformed", "The commit does not decode", (e as Error)?.message);
  }
}

/**
 * Checks a commit alone (a syncing node's finality check): distinct known voters, valid signatures,
 * each precommit for the target or a descendant (`isDescendant(block, ancestor)`, from the headers
 * the node has), and at least the threshold of them.
 *
 * @example const r = verifyCommit(commit, { validators, setId: 0n, isDescendant: tree.isDescendant });
 */
export function verifyCommit(
  c: Commit,
  ctx: {
    validators: readonly AccountId[];
    setId: bigint;
    isDescendant: (block: Uint8Array, ancestor: Uint8Array) => boolean;
  },
): Result<BlockRef, ConsensusRefusal> {
  try {
    if (c.setId !== ctx.setId) return refuse("WrongSetId", "A commit of another voter set", `set ${c.setId}`);
    const seen = new Set<number>();
    for (const p of c.precommits) {
      if (seen.has(p.voter))
        return refuse("Malformed", "A voter precommits twice in one commit", `voter ${p.voter}`);
      seen.add(p.voter);
      const r = verifyVote(
        {
          vote: { round: c.round, phase: "precommit", target: p.target, setId: c.setId },
          voter: p.voter,
          signature: p.signature,
        },
        ctx.validators,
        ctx.setId,
      );
      if (!r.ok) return r;
      const on = bytesEqual(p.target.hash, c.target.hash) || ctx.isDescendant(p.target.hash, c.target.hash);
      if (!on)
        return refuse(
          "BelowThreshold",
          "A precommit is not for the target or a descendant",
          `voter ${p.voter}`,
        );
    }
    const need = threshold(ctx.validators.length);
    if (seen.size < need)
      return refuse("BelowThreshold", "Too few precommits", `${seen.size} of ${need} needed`);
    return ok(c.target);
  } catch (e) {
    return refuse("Malformed", "The commit is malformed", (e as Error)?.message);
  }
}
