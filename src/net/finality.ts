/**
 * Finality (DESIGN §11) through src/consensus/grandpa.ts: the voter ticks on the clock (rounds of two
 * slots), votes gossip on the `votes` topic, a peer that missed some asks for them (gossip drops a
 * message seen before, so a restarted or partitioned node could not get them again otherwise). A final
 * block is stored with its commit (the precommits that prove it), served with sync responses and checked
 * by a syncing node; equivocations are kept as evidence and reported in `net_v1_status`.
 */
import { toHex } from "../codec/bytes.ts";
import type { BlockRef } from "../consensus/block-tree.ts";
import { createVoter, type Equivocation, type VoterOutput } from "../consensus/grandpa.ts";
import {
  type Commit,
  decodeCommit,
  decodeVote,
  encodeCommit,
  encodeVote,
  type SignedVote,
} from "../consensus/votes.ts";
import type { NetContext } from "./context.ts";
import type { Verdict } from "./host.ts";
import { reasonKey } from "./import.ts";
import { MAX_VOTES_SERVED } from "./wire.ts";

export const SET_ID = 0n;

export interface EquivocationJson {
  voter: number;
  round: string;
  phase: string;
  first: `0x${string}`;
  second: `0x${string}`;
}

export interface Finality {
  /** Ticks the voter (every quarter slot). */
  tick(): void;
  /** A gossip vote (bytes): counted, or refused with a verdict that scores the sender. */
  onVoteBytes(bytes: Uint8Array): Verdict;
  /** A decoded vote (from a peer's answer): same as gossip. */
  onVote(v: SignedVote): Verdict;
  /** Call after blocks were added to the tree: votes for them now count. */
  recheck(): void;
  /** A finality proof from a syncing peer: verified, then finalised into the tree (true if it did). */
  onCommit(bytes: Uint8Array): boolean;
  /** The votes this node still counts (served to peers). */
  votes(): SignedVote[];
  /** The last finality proof (encoded), if any. */
  commitBytes(): Uint8Array | undefined;
  round(): bigint;
  equivocations(): EquivocationJson[];
}

const equivocationJson = (e: Equivocation): EquivocationJson => ({
  voter: e.voter,
  round: String(e.round),
  phase: e.phase,
  first: toHex(e.first.vote.target.hash),
  second: toHex(e.second.vote.target.hash),
});

/**
 * @param onFinalized called after the tree's final block moved (persist, prune, fork choice).
 */
export function createFinality(ctx: NetContext, onFinalized: (block: BlockRef) => void): Finality {
  const { tree } = ctx;
  let lastCommit = ctx.store.finality();
  const voter = createVoter({
    validators: ctx.validators,
    setId: SET_ID,
    // a collator process observes finality (counts votes, never votes)
    ...(ctx.index >= 0 ? { key: ctx.keypair, index: ctx.index } : {}),
    roundMs: 2 * ctx.spec.slotMs,
    tree,
    // prevote only what this node executed: its head, when it builds on the lock (or the final block)
    prevoteOn: (base) => (tree.isDescendant(ctx.head.hash, base.hash) ? ctx.head : base),
  });

  function handle(out: VoterOutput): void {
    for (const v of out.votes) ctx.host.publish("votes", encodeVote(v));
    for (const _ of out.equivocations) ctx.refuse("EQUIVOCATION");
    const last = out.finalized.at(-1);
    if (last) {
      lastCommit = encodeCommit(last.commit);
      ctx.store.putFinality(lastCommit);
      onFinalized(last.block);
    }
  }

  function onVote(v: SignedVote): Verdict {
    const r = voter.onVote(v);
    if (!r.ok) {
      ctx.refuse(`VOTE_${reasonKey(r.error.reason)}`);
      // a vote of a round this node no longer (or not yet) counts is late, not forged
      return r.error.reason === "OutOfRound" ? "ignore" : "reject";
    }
    handle(r.value);
    return "accept";
  }

  return {
    tick() {
      if (ctx.stopped) return;
      // a node far behind its peers votes once it caught up (its votes would be for old blocks)
      if (ctx.syncing && ctx.bestPeerHead() > ctx.head.number + 2) return;
      handle(voter.tick(Date.now()));
    },
    onVoteBytes(bytes) {
      const d = decodeVote(bytes);
      if (!d.ok) {
        ctx.refuse(`VOTE_${reasonKey(d.error.reason)}`);
        return "reject";
      }
      return onVote(d.value);
    },
    onVote,
    recheck: () => handle(voter.recheck()),
    onCommit(bytes) {
      const d = decodeCommit(bytes);
      if (!d.ok) return false;
      const c: Commit = d.value;
      if (c.target.number <= tree.finalized().number) return false;
      const r = voter.onCommit(c);
      if (!r.ok) return false;
      handle(r.value);
      return r.value.finalized.length > 0;
    },
    votes: () => voter.votes().slice(-MAX_VOTES_SERVED),
    commitBytes: () => lastCommit,
    round: () => voter.round(),
    equivocations: () => voter.evidence().map(equivocationJson),
  };
}

/** Decodes a stored commit (undefined if absent or of an older format). */
export function storedCommit(bytes: Uint8Array | undefined): Commit | undefined {
  if (!bytes) return undefined;
  const d = decodeCommit(bytes);
  return d.ok ? d.value : undefined;
}
