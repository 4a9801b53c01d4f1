/**
 * STAND-IN for the GRANDPA voter of src/consensus/ (branch state-root): rounds of prevote then precommit
 * (DESIGN §11), threshold t = n − ⌊(n−1)/3⌋, after the GRANDPA paper (Stewart & Kokoris-Kogias, 2020):
 * - a voter prevotes its best block if it contains the previous round's estimate E, else E itself;
 * - once t prevotes are in, it precommits their GHOST g (the highest block t prevotes are at or above),
 *   if g contains E;
 * - a round completes when t precommits are in: their GHOST is final, and the round's estimate is the
 *   highest block that t precommits could still reach (counting the voters not heard from as for it);
 * - a voter behind (restarted, partitioned) catches up when it holds t precommits of a later round: it
 *   completes that round and goes on from there (peers serve their previous and current rounds).
 * Two different votes of one voter in one round and stage are evidence, kept and reported; the first
 * one counts. Pure: votes in, votes to cast and finality out; no clock, no I/O.
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
   * Advances: what to cast now and a newly final block, if any. `best` is the head of the voter's best
   * chain, `finalized` its last final block; `mayStartRound` paces rounds (the caller's clock).
   */
  step(
    best: TreeEntry,
    finalized: TreeEntry,
    mayStartRound: boolean,
  ): {
    cast: Array<{ round: bigint; stage: number; target: Hash; number: number }>;
    finalised?: Finalised;
  };
  /** Votes of the previous and current rounds (served to peers that missed them). */
  current(): Vote[];
}

export function createVoter(opts: { n: number; tree: BlockTree; startRound?: bigint }): Voter {
  const t = threshold(opts.n);
  const { tree } = opts;
  let round = opts.startRound ?? 1n;
  let prevoted = false;
  let precommitted = false;
  let estimate: TreeEntry | undefined;
  // round → [prevotes, precommits] by voter
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
  const above = (e: TreeEntry, vs: Vote[]) => vs.filter((v) => tree.isAncestor(e.hash, v.target)).length;

  /** The highest block on a voted chain above `floor` that at least `need(e)` of `vs` are at or above. */
  function highest(vs: Vote[], floor: TreeEntry, enough: (e: TreeEntry) => boolean): TreeEntry | undefined {
    let best: TreeEntry | undefined;
    for (const v of vs) {
      for (let e = tree.get(v.target); e && e.number >= floor.number; e = tree.get(e.parent)) {
        if (best && e.number <= best.number) break;
        if (enough(e)) {
          best = e;
          break;
        }
      }
    }
    return best && tree.isAncestor(floor.hash, best.hash) ? best : undefined;
  }
  const known = (vs: Iterable<Vote>) => [...vs].filter((v) => tree.has(v.target));
  const ghost = (vs: Vote[], floor: TreeEntry) =>
    vs.length < t ? undefined : highest(vs, floor, (e) => above(e, vs) >= t);

  /** Completes round `r` if t precommits are in: the final block and the next round's estimate. */
  function complete(
    r: bigint,
    finalized: TreeEntry,
  ): { f: TreeEntry; e: TreeEntry; pcs: Vote[] } | undefined {
    const pcs = known(stageOf(r, PRECOMMIT).values());
    const f = ghost(pcs, finalized);
    if (!f) return undefined;
    const missing = opts.n - stageOf(r, PRECOMMIT).size;
    const e = highest(pcs, f, (b) => above(b, pcs) + missing >= t) ?? f;
    return { f, e, pcs: pcs.filter((v) => tree.isAncestor(f.hash, v.target)) };
  }

  function nextRound(r: bigint, e: TreeEntry) {
    round = r + 1n;
    estimate = e;
    prevoted = false;
    precommitted = false;
    for (const k of [...votes.keys()]) if (k < round - 1n) votes.delete(k);
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
      return "new";
    },
    step(best, finalized, mayStartRound) {
      const cast: Array<{ round: bigint; stage: number; target: Hash; number: number }> = [];
      let finalised: Finalised | undefined;
      const note = (r: bigint, c: { f: TreeEntry; pcs: Vote[] }) => {
        const top = finalised?.number ?? finalized.number;
        if (c.f.number > top) finalised = { hash: c.f.hash, number: c.f.number, round: r, precommits: c.pcs };
      };
      // catch up: the latest later round that completed
      const later = [...votes.keys()].filter((r) => r > round).sort((a, b) => (a < b ? 1 : -1));
      for (const r of later) {
        const c = complete(r, finalized);
        if (c) {
          note(r, c);
          nextRound(r, c.e);
          break;
        }
      }
      let e = estimate && tree.has(estimate.hash) ? estimate : finalized;
      if (tree.isAncestor(e.hash, finalized.hash)) e = finalized;
      if (!prevoted && mayStartRound) {
        prevoted = true;
        const target = tree.isAncestor(e.hash, best.hash) ? best : e;
        cast.push({ round, stage: PREVOTE, target: target.hash, number: target.number });
      }
      if (prevoted && !precommitted) {
        const g = ghost(known(stageOf(round, PREVOTE).values()), finalized);
        // "precommit g once g ≥ E_{r−1}"
        if (g && tree.isAncestor(e.hash, g.hash)) {
          precommitted = true;
          cast.push({ round, stage: PRECOMMIT, target: g.hash, number: g.number });
        }
      }
      const c = complete(round, finalized);
      if (c) {
        note(round, c);
        nextRound(round, c.e);
      }
      return finalised ? { cast, finalised } : { cast };
    },
    current() {
      const out: Vote[] = [];
      for (const r of [round - 1n, round]) {
        const v = votes.get(r);
        if (v) out.push(...v[0].values(), ...v[1].values());
      }
      return out;
    },
  };
}
