/**
 * An in-process network of GRANDPA voters for tests: each voter has its own block tree (blocks are
 * added to the trees that should know them), rounds are driven by a shared clock, and a `link`
 * predicate decides which messages arrive (partitions, silence).
 */
import type { AccountId, Hash } from "../../src/codec/ids.ts";
import { type BlockRef, type BlockTree, createBlockTree } from "../../src/consensus/block-tree.ts";
import { createVoter, type Voter, type VoterOutput } from "../../src/consensus/grandpa.ts";
import type { SignedVote } from "../../src/consensus/votes.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { devKeypair, type Keypair } from "../../src/crypto/ed25519.ts";

export const ROUND_MS = 1000;
export const GENESIS: BlockRef = { hash: blake2b256(new TextEncoder().encode("genesis")), number: 0 };

export const keys = (n: number): Keypair[] => Array.from({ length: n }, (_, i) => devKeypair(500 + i));

/** A block on `parent` named by `tag` (so two forks at one height differ). */
export function child(parent: BlockRef, tag: string): BlockRef & { parent: Hash } {
  return {
    hash: blake2b256(parent.hash, new TextEncoder().encode(`${tag}/${parent.number + 1}`)),
    number: parent.number + 1,
    parent: parent.hash,
  };
}

/** `count` blocks on `from`, tagged `tag`. */
export function chain(from: BlockRef, count: number, tag: string): (BlockRef & { parent: Hash })[] {
  const out: (BlockRef & { parent: Hash })[] = [];
  let at = from;
  for (let i = 0; i < count; i++) {
    const b = child(at, tag);
    out.push(b);
    at = b;
  }
  return out;
}

export interface Net {
  keys: Keypair[];
  validators: AccountId[];
  trees: BlockTree[];
  /** undefined: a silent (or externally driven) voter. */
  voters: (Voter | undefined)[];
  /** Every block each voter finalised, in order. */
  finalized: BlockRef[][];
  equivocations: number[];
  /** Which messages arrive: from voter i to voter j. */
  link: (from: number, to: number, vote: SignedVote) => boolean;
  addBlocks(blocks: (BlockRef & { parent: Hash })[], to?: number[]): void;
  /** One round at `round`: every voter ticks, then messages flow until none is left. */
  runRound(round: number, inject?: { from: number; vote: SignedVote; to: number[] }[]): void;
}

export function createNet(n: number, silent: number[] = []): Net {
  const ks = keys(n);
  const validators = ks.map((k) => k.publicKey);
  const trees = ks.map(() => createBlockTree(GENESIS));
  const net: Net = {
    keys: ks,
    validators,
    trees,
    voters: ks.map((key, index) =>
      silent.includes(index)
        ? undefined
        : createVoter({
            validators,
            setId: 0n,
            key,
            index,
            roundMs: ROUND_MS,
            tree: trees[index] as BlockTree,
          }),
    ),
    finalized: ks.map(() => []),
    equivocations: ks.map(() => 0),
    link: () => true,
    addBlocks(blocks, to) {
      for (const i of to ?? ks.map((_, j) => j)) {
        for (const b of blocks) {
          const r = (trees[i] as BlockTree).add(b);
          if (!r.ok && r.error.reason !== "UnknownBlock") throw new Error(r.error.shortMessage);
        }
        const out = net.voters[i]?.recheck();
        if (out) take(i, out, []);
      }
    },
    runRound(round, inject = []) {
      const queue: { from: number; vote: SignedVote; to?: number[] }[] = [...inject];
      for (const [i, v] of net.voters.entries()) if (v) take(i, v.tick(round * ROUND_MS), queue);
      drain(queue);
      // half-way through the round: voters that lack some prevotes precommit what they have
      for (const [i, v] of net.voters.entries())
        if (v) take(i, v.tick(round * ROUND_MS + ROUND_MS / 2), queue);
      drain(queue);
    },
  };
  function drain(queue: { from: number; vote: SignedVote; to?: number[] }[]) {
    while (queue.length > 0) {
      const m = queue.shift() as { from: number; vote: SignedVote; to?: number[] };
      for (const [j, v] of net.voters.entries()) {
        if (!v || j === m.from || !net.link(m.from, j, m.vote) || (m.to && !m.to.includes(j))) continue;
        const r = v.onVote(m.vote);
        if (r.ok) take(j, r.value, queue);
      }
    }
  }
  function take(i: number, out: VoterOutput, queue: { from: number; vote: SignedVote }[]) {
    for (const vote of out.votes) queue.push({ from: i, vote });
    for (const f of out.finalized) (net.finalized[i] as BlockRef[]).push(f.block);
    net.equivocations[i] = (net.equivocations[i] as number) + out.equivocations.length;
  }
  return net;
}
