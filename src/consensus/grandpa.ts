/**
 * A GRANDPA-style finality voter (DESIGN §11 "Finality"): a pure, deterministic state machine. The
 * caller passes the time (`tick(nowMs)`) and incoming votes and commits, and broadcasts what comes out.
 *
 * Rounds are fixed by the clock: round r spans [r·roundMs, (r+1)·roundMs), so voters with close clocks
 * are in the same round, and a partition that heals meets again in the next round. In a round, each
 * voter prevotes once (at its start) for the best block containing its lock; once the prevotes have a
 * GHOST (the highest block that the threshold n − ⌊(n−1)/3⌋ prevoted for or past) and either every
 * prevote is in or half the round has passed, it precommits for that GHOST; a block is final when the threshold of one round's precommits are for it or its
 * descendants. The lock (the last precommitted GHOST, released only by a conflicting prevote GHOST of a
 * later round) keeps a precommitted chain from being abandoned, so two conflicting blocks cannot both
 * be finalised while at most ⌊(n−1)/3⌋ voters are faulty. A voter's first vote per round and phase is
 * the one counted; a second, different one is kept as equivocation evidence.
 */
import { bytesEqual, toHex } from "../codec/bytes.ts";
import type { AccountId } from "../codec/ids.ts";
import type { Keypair } from "../crypto/ed25519.ts";
import { ok, type Result } from "../errors.ts";
import type { BlockRef, BlockTree } from "./block-tree.ts";
import { type ConsensusRefusal, refuse } from "./errors.ts";
import {
  type Commit,
  type Phase,
  type SignedVote,
  signVote,
  threshold,
  verifyCommit,
  verifyVote,
} from "./votes.ts";

/** Two different votes of one voter in one round and phase: evidence of a faulty voter. */
export interface Equivocation {
  voter: number;
  round: bigint;
  phase: Phase;
  first: SignedVote;
  second: SignedVote;
}

/** What one step produced: votes to broadcast, blocks finalised (with their proof), evidence found. */
export interface VoterOutput {
  votes: SignedVote[];
  finalized: { block: BlockRef; commit: Commit }[];
  equivocations: Equivocation[];
}

export interface VoterOptions {
  validators: readonly AccountId[];
  setId: bigint;
  /** This node's key and index among the validators; omit both for an observer (counts, never votes). */
  key?: Keypair;
  index?: number;
  roundMs: number;
  /** The block tree this voter reads (best chain, ancestry) and finalises into. */
  tree: BlockTree;
  /** Evidence kept at most (the oldest is dropped first). */
  maxEvidence?: number;
  /**
   * The block to prevote on top of `base` (the lock or the finalised block): default the tree's best
   * descendant of it. A node that keeps headers it has not executed yet passes its executed head here,
   * so it never prevotes a block it has not checked.
   */
  prevoteOn?: (base: BlockRef) => BlockRef | undefined;
}

export interface Voter {
  tick(nowMs: number): VoterOutput;
  /** A vote from the network (already decoded): verified, counted, maybe answered or finalising. */
  onVote(vote: SignedVote): Result<VoterOutput, ConsensusRefusal>;
  /** A commit from the network (a syncing node's proof): verified, then finalised into the tree. */
  onCommit(commit: Commit): Result<VoterOutput, ConsensusRefusal>;
  /** Re-reads the tree (call after adding blocks): votes for blocks now known are counted. */
  recheck(): VoterOutput;
  round(): bigint;
  evidence(): readonly Equivocation[];
  /** Every vote counted in the rounds still kept (for a peer that missed them: gossip drops repeats). */
  votes(): SignedVote[];
}

interface RoundState {
  prevotes: Map<number, SignedVote>;
  precommits: Map<number, SignedVote>;
  prevoted: boolean;
  precommitted: boolean;
}

/** Rounds whose votes are still counted: the current one, the one before (late votes), the next (clock skew). */
const WINDOW = 1n;

/**
 * @example
 * const voter = createVoter({ validators, setId: 0n, key, index: 2, roundMs: 2000, tree });
 * const out = voter.tick(Date.now()); // broadcast out.votes
 * voter.onVote(decoded); // from gossip
 */
export function createVoter(opts: VoterOptions): Voter {
  const { validators, setId, tree, roundMs } = opts;
  const n = validators.length;
  const need = threshold(n);
  const rounds = new Map<bigint, RoundState>();
  const evidence: Equivocation[] = [];
  const maxEvidence = opts.maxEvidence ?? 1024;
  let current = -1n;
  let now = Number.NEGATIVE_INFINITY;
  let lock: { block: BlockRef; round: bigint } | undefined;

  const state = (r: bigint): RoundState => {
    let s = rounds.get(r);
    if (!s) {
      s = { prevotes: new Map(), precommits: new Map(), prevoted: false, precommitted: false };
      rounds.set(r, s);
    }
    return s;
  };
  const empty = (): VoterOutput => ({ votes: [], finalized: [], equivocations: [] });

  /** The highest block the threshold of `votes` are for or past (only blocks the tree knows count). */
  function ghost(votes: Map<number, SignedVote>): BlockRef | undefined {
    const fin = tree.finalized();
    const support = new Map<string, { block: BlockRef; count: number }>();
    for (const sv of votes.values()) {
      const t = sv.vote.target;
      if (!tree.has(t.hash) || !tree.isDescendant(t.hash, fin.hash)) continue;
      // One walk up the parents per vote: it supports its target and every ancestor down to the finalised block.
      for (let at = tree.get(t.hash); at && at.number >= fin.number; at = tree.get(at.parent)) {
        const k = toHex(at.hash);
        const e = support.get(k);
        if (e) e.count++;
        else support.set(k, { block: { hash: at.hash, number: at.number }, count: 1 });
        if (at.number === fin.number) break;
      }
    }
    let best: BlockRef | undefined;
    for (const { block, count } of support.values()) {
      if (count >= need && (best === undefined || block.number > best.number)) best = block;
    }
    return best;
  }

  const relation = (a: BlockRef, b: BlockRef) =>
    tree.isDescendant(a.hash, b.hash)
      ? "descendant"
      : tree.isDescendant(b.hash, a.hash)
        ? "ancestor"
        : "conflict";

  function castVote(r: bigint, phase: Phase, target: BlockRef, out: VoterOutput): void {
    if (opts.key === undefined || opts.index === undefined) return;
    const sv = signVote({ round: r, phase, target, setId }, opts.index, opts.key);
    out.votes.push(sv);
    record(sv, out);
  }

  /** Counts a verified vote (first per voter, round and phase); a different second one is evidence. */
  function record(sv: SignedVote, out: VoterOutput): void {
    const s = state(sv.vote.round);
    const m = sv.vote.phase === "prevote" ? s.prevotes : s.precommits;
    const first = m.get(sv.voter);
    if (first === undefined) {
      m.set(sv.voter, sv);
      return;
    }
    if (
      bytesEqual(first.vote.target.hash, sv.vote.target.hash) &&
      first.vote.target.number === sv.vote.target.number
    )
      return;
    if (evidence.some((e) => e.voter === sv.voter && e.round === sv.vote.round && e.phase === sv.vote.phase))
      return;
    const e: Equivocation = {
      voter: sv.voter,
      round: sv.vote.round,
      phase: sv.vote.phase,
      first,
      second: sv,
    };
    evidence.push(e);
    if (evidence.length > maxEvidence) evidence.shift();
    out.equivocations.push(e);
  }

  /** Precommits when this round's prevotes have a GHOST; finalises what any kept round's precommits prove. */
  function progress(out: VoterOutput): VoterOutput {
    const s = rounds.get(current);
    // Precommit once every voter's prevote is in, or from half-way through the round: a GHOST taken from
    // the first threshold of prevotes is often only their common ancestor (safe, but finalises little).
    const ready =
      s !== undefined && (s.prevotes.size === n || now >= Number(current) * roundMs + roundMs / 2);
    if (s && ready && s.prevoted && !s.precommitted) {
      const g = ghost(s.prevotes);
      if (g) {
        if (lock === undefined || relation(g, lock.block) !== "ancestor") lock = { block: g, round: current };
        // (an ancestor of the lock: precommit it, keep the higher lock)
        s.precommitted = true;
        castVote(current, "precommit", g, out);
      }
    }
    for (const [r, rs] of rounds) {
      const f = ghost(rs.precommits);
      if (!f) continue;
      const fin = tree.finalized();
      if (f.number <= fin.number) continue;
      const done = tree.finalize(f.hash);
      if (!done.ok || done.value.length === 0) continue;
      const precommits = [...rs.precommits.values()]
        .filter(
          (p) => bytesEqual(p.vote.target.hash, f.hash) || tree.isDescendant(p.vote.target.hash, f.hash),
        )
        .map((p) => ({ target: p.vote.target, voter: p.voter, signature: p.signature }));
      out.finalized.push({ block: f, commit: { setId, round: r, target: f, precommits } });
    }
    return out;
  }

  /** The prevote target: the best block containing the lock (or the finalised block). */
  function prevoteTarget(): BlockRef {
    const fin = tree.finalized();
    const base =
      lock && tree.has(lock.block.hash) && tree.isDescendant(lock.block.hash, fin.hash) ? lock.block : fin;
    const on = opts.prevoteOn?.(base);
    if (on && tree.isDescendant(on.hash, base.hash)) return on;
    return tree.bestFrom(base.hash) ?? fin;
  }

  /** A conflicting prevote GHOST of a round after the lock's releases the lock (liveness). */
  function maybeUnlock(): void {
    if (!lock) return;
    for (const [r, rs] of rounds) {
      if (r <= lock.round) continue;
      const g = ghost(rs.prevotes);
      if (g && relation(g, lock.block) === "conflict") {
        lock = undefined;
        return;
      }
    }
  }

  return {
    tick(nowMs) {
      const out = empty();
      if (!Number.isFinite(nowMs) || roundMs <= 0) return out;
      now = Math.max(now, nowMs);
      const r = BigInt(Math.floor(nowMs / roundMs));
      if (r > current) {
        current = r;
        for (const k of rounds.keys()) if (k < current - WINDOW) rounds.delete(k);
        maybeUnlock();
        const s = state(current);
        if (!s.prevoted) {
          s.prevoted = true;
          castVote(current, "prevote", prevoteTarget(), out);
        }
      }
      return progress(out);
    },
    onVote(sv) {
      const v = verifyVote(sv, validators, setId);
      if (!v.ok) return v;
      const r = sv.vote.round;
      if (r < current - WINDOW || r > current + WINDOW) {
        return refuse(
          "OutOfRound",
          "A vote outside the rounds being counted",
          `round ${r}, current ${current}`,
        );
      }
      const out = empty();
      record(sv, out);
      maybeUnlock();
      return ok(progress(out));
    },
    onCommit(c) {
      const v = verifyCommit(c, { validators, setId, isDescendant: tree.isDescendant });
      if (!v.ok) return v;
      const fin = tree.finalized();
      if (c.target.number <= fin.number) return ok(empty());
      const done = tree.finalize(c.target.hash);
      if (!done.ok) return done;
      const out = empty();
      out.finalized.push({ block: c.target, commit: c });
      return ok(out);
    },
    recheck: () => progress(empty()),
    round: () => current,
    evidence: () => evidence,
    votes() {
      const out: SignedVote[] = [];
      for (const s of rounds.values()) out.push(...s.prevotes.values(), ...s.precommits.values());
      return out;
    },
  };
}

export { threshold };
