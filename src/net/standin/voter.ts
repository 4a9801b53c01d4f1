/**
 * STAND-IN for the GRANDPA voter of src/consensus/ (branch state-root): rounds of prevote then precommit
 * (DESIGN §11), threshold t = n − ⌊(n−1)/3⌋. A voter prevotes its best block; once t prevotes are in, it
 * precommits their GHOST (the highest block that t prevotes are at or above); a round completes when t
 * precommits are at or above one block, which is then final. A vote from a later round moves the voter
 * up to it (a restarted node catches up). Two different votes of one voter in one round and stage are
 * evidence, kept and reported. Pure: votes in, votes to cast and finality out; no clock, no I/O.
 */
import { bytesEqual, toHex } from "../../codec/bytes.ts";
import type { Hash } from "../../codec/ids.ts";
import type { Vote } from "../wire.ts";
import type { BlockTree, TreeEntry } from "./tree.ts";

export const PREVOTE = 0;
export const PRECOMMIT = 1;
/** How far ahead of its own round a vote may be before it is refused (a bound on what a voter keeps). */
export const MAX_ROUND_AHEAD = 1_000_000n;

export const threshold = (n: number): number => n - Math.floor((n - 1) / 3);

export interface Equivocation {
  voter: number;
  round: string;
  stage: number;
  first: `0x${string}`;
  second: `0x${string}`;
}

export type VoteOutcome = "new" | "duplicate" | "equivocation" | "stale" | "too-far";

export interface Finalised {
  hash: Hash;
  number: number;
  round: bigint;
  precommits: Vote[];
}

export interface Voter {
  readonly round: bigint;
  readonly evidence: Equivocation[];
  /** Records a vote whose signature the caller checked. */
  onVote(v: Vote): VoteOutcome;
  /**
   * Advances: what to cast now (`stage`, `target`) and a newly final block, if any. `best` is the head
   * of the voter's best chain; `finalized` its last final block; `mayStartRound` paces rounds.
   */
  step(
    best: TreeEntry,
    finalized: TreeEntry,
    mayStartRound: boolean,
  ): {
    cast: Array<{ round: bigint; stage: number; target: Hash; number: number }>;
    finalised?: Finalised;
  };
  /** Votes of the current round (to re-broadcast for peers that missed them). */
  current(): Vote[];
}

export function createVoter(opts: { n: number; tree: BlockTree; startRound?: bigint }): Voter {
  const t = threshold(opts.n);
  const { tree } = opts;
  let round = opts.startRound ?? 1n;
  let prevoted = false;
  let precommitted = false;
  // round → stage → voter → vote
  const votes = new Map<bigint, [Map<number, Vote>, Map<number, Vote>]>();
  const evidence: Equivocation[] = [];
  const stageOf = (r: bigint, s: number) => {
    let v = votes.get(r);
    if (!v) {
      v = [new Map(), new Map()];
      votes.set(r, v);
    }
    return v[s]!;
  };

  /** The highest known block that ≥ t of `vs` are at or above, on the chain of `from`. */
  function ghost(vs: Iterable<Vote>, floor: TreeEntry): TreeEntry | undefined {
    const known = [...vs].filter((v) => tree.has(v.target) && tree.isAncestor(floor.hash, v.target));
    if (known.length < t) return undefined;
    // candidates: every block on a voted chain between floor and the target, highest first
    let best: TreeEntry | undefined;
    for (const v of known) {
      for (let e = tree.get(v.target); e && e.number >= floor.number; e = tree.get(e.parent)) {
        if (best && e.number <= best.number) break;
        let n = 0;
        for (const w of known) if (tree.isAncestor(e.hash, w.target)) n++;
        if (n >= t) {
          best = e;
          break;
        }
      }
    }
    return best;
  }

  return {
    get round() {
      return round;
    },
    evidence,
    onVote(v) {
      if (v.round < round - 1n) return "stale";
      if (v.round > round + MAX_ROUND_AHEAD) return "too-far";
      const m = stageOf(v.round, v.stage);
      const had = m.get(v.voter);
      if (had) {
        if (bytesEqual(had.target, v.target) && had.number === v.number) return "duplicate";
        if (
          !evidence.some((e) => e.voter === v.voter && e.round === String(v.round) && e.stage === v.stage)
        ) {
          evidence.push({
            voter: v.voter,
            round: String(v.round),
            stage: v.stage,
            first: toHex(had.target),
            second: toHex(v.target),
          });
        }
        return "equivocation";
      }
      m.set(v.voter, v);
      if (v.round > round) {
        // a later round is under way: join it (our own round cannot complete without those voters)
        round = v.round;
        prevoted = false;
        precommitted = false;
        for (const r of [...votes.keys()]) if (r < round - 1n) votes.delete(r);
      }
      return "new";
    },
    step(best, finalized, mayStartRound) {
      const cast: Array<{ round: bigint; stage: number; target: Hash; number: number }> = [];
      let finalised: Finalised | undefined;
      if (!prevoted && mayStartRound) {
        prevoted = true;
        cast.push({ round, stage: PREVOTE, target: best.hash, number: best.number });
      }
      if (prevoted && !precommitted) {
        const g = ghost(stageOf(round, PREVOTE).values(), finalized);
        if (g) {
          precommitted = true;
          cast.push({ round, stage: PRECOMMIT, target: g.hash, number: g.number });
        }
      }
      const pcs = [...stageOf(round, PRECOMMIT).values()];
      const f = ghost(pcs, finalized);
      if (f) {
        if (f.number > finalized.number) {
          finalised = {
            hash: f.hash,
            number: f.number,
            round,
            precommits: pcs.filter((v) => tree.isAncestor(f.hash, v.target)),
          };
        }
        round += 1n;
        prevoted = false;
        precommitted = false;
        for (const r of [...votes.keys()]) if (r < round - 1n) votes.delete(r);
      }
      return finalised ? { cast, finalised } : { cast };
    },
    current() {
      const v = votes.get(round);
      return v ? [...v[0].values(), ...v[1].values()] : [];
    },
  };
}
