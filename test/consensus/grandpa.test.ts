/** GRANDPA-style finality (DESIGN §11) with 4 and 7 in-process voters: threshold, silence, equivocation, partitions. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesEqual } from "../../src/codec/bytes.ts";
import type { BlockRef } from "../../src/consensus/block-tree.ts";
import { createBlockTree } from "../../src/consensus/block-tree.ts";
import { createVoter } from "../../src/consensus/grandpa.ts";
import {
  decodeCommit,
  decodeVote,
  encodeCommit,
  encodeVote,
  signVote,
  threshold,
  verifyCommit,
} from "../../src/consensus/votes.ts";
import { chain, createNet, GENESIS, keys, type Net, ROUND_MS } from "./sim.ts";

const heads = (net: Net) => net.finalized.map((f) => f.at(-1)?.number ?? 0);
/** Every voter's finalised blocks form one chain, each one descending from the one before. */
function neverReverts(net: Net) {
  for (const [i, f] of net.finalized.entries()) {
    const tree = net.trees[i]!;
    for (let k = 1; k < f.length; k++) expect(tree.isDescendant(f[k]!.hash, f[k - 1]!.hash)).toBe(true);
  }
}
/** No two voters ever finalised conflicting blocks. */
function noConflict(net: Net): boolean {
  const all = net.finalized.flat();
  const tree = net.trees.find((t) => t.size() === Math.max(...net.trees.map((x) => x.size())))!;
  for (const a of all)
    for (const b of all) {
      if (
        !(
          bytesEqual(a.hash, b.hash) ||
          tree.isDescendant(a.hash, b.hash) ||
          tree.isDescendant(b.hash, a.hash)
        )
      )
        return false;
    }
  return true;
}

describe("grandpa voters", () => {
  it.each([
    [4, 3],
    [7, 5],
    [10, 7],
  ])("the threshold of %i voters is %i", (n, t) => expect(threshold(n)).toBe(t));

  it.each([
    [4, [], true],
    [4, [3], true], // one silent: 3 of 4 still reach the threshold
    [4, [2, 3], false], // two silent: 2 < 3
    [7, [5, 6], true], // 5 of 7
    [7, [4, 5, 6], false], // 4 < 5
  ])("%i voters with %j silent finalise: %s", (n, silent, finalises) => {
    const net = createNet(n, silent as number[]);
    net.addBlocks(chain(GENESIS, 5, "a"));
    net.runRound(1);
    net.runRound(2);
    for (const [i, v] of net.voters.entries()) if (v) expect(heads(net)[i]).toBe(finalises ? 5 : 0);
  });

  it("prevotes what prevoteOn names (a node's executed head), and serves the votes it counts", () => {
    const [key] = keys(1);
    const others = keys(4).slice(1);
    const validators = [key!, ...others].map((k) => k.publicKey);
    const tree = createBlockTree(GENESIS);
    const a = chain(GENESIS, 4, "a");
    for (const x of a) tree.add(x);
    // the tree's best is #4, but this node executed only up to #2
    const v = createVoter({
      validators,
      setId: 0n,
      key,
      index: 0,
      roundMs: ROUND_MS,
      tree,
      prevoteOn: () => a[1]!,
    });
    const out = v.tick(ROUND_MS * 5);
    expect(out.votes[0]!.vote).toMatchObject({ phase: "prevote", target: { number: 2 } });
    const other = signVote({ round: 5n, phase: "prevote", target: a[3]!, setId: 0n }, 1, others[0]!);
    expect(v.onVote(other).ok).toBe(true);
    expect(
      v
        .votes()
        .map((x) => x.voter)
        .sort(),
    ).toEqual([0, 1]);
    // a block prevoteOn names that does not build on the base is not taken: the tree's best instead
    const w = createVoter({
      validators,
      setId: 0n,
      key,
      index: 0,
      roundMs: ROUND_MS,
      tree,
      prevoteOn: () => ({ hash: new Uint8Array(32), number: 9 }) as never,
    });
    expect(w.tick(ROUND_MS * 5).votes[0]!.vote.target.number).toBe(4);
  });

  it("an equivocating voter is recorded as evidence and finality still lands on one chain", () => {
    const net = createNet(4, [3]);
    const a = chain(GENESIS, 3, "a");
    const b = chain(GENESIS, 3, "b");
    net.addBlocks([...a, ...b]);
    const bad = net.keys[3]!;
    const vote = (t: BlockRef) => signVote({ round: 1n, phase: "prevote", target: t, setId: 0n }, 3, bad);
    net.runRound(1, [
      { from: 3, vote: vote(a[2]!), to: [0, 1, 2] },
      { from: 3, vote: vote(b[2]!), to: [0, 1, 2] },
    ]);
    net.runRound(2);
    expect(net.equivocations.slice(0, 3)).toEqual([1, 1, 1]);
    expect(net.voters[0]!.evidence()[0]).toMatchObject({ voter: 3, round: 1n, phase: "prevote" });
    expect(Math.min(...heads(net).slice(0, 3))).toBeGreaterThan(0);
    expect(noConflict(net)).toBe(true);
    neverReverts(net);
  });

  it("a 2+2 partition stops finality on both sides; healed, finality resumes on one chain and nothing reverts", () => {
    const net = createNet(4);
    const base = chain(GENESIS, 2, "base");
    net.addBlocks(base);
    net.runRound(1);
    expect(heads(net)).toEqual([2, 2, 2, 2]);
    const side = (i: number) => (i < 2 ? 0 : 1);
    net.link = (i, j) => side(i) === side(j);
    const a = chain(base[1]!, 3, "a");
    const b = chain(base[1]!, 4, "b");
    net.addBlocks(a, [0, 1]);
    net.addBlocks(b, [2, 3]);
    for (let r = 2; r < 6; r++) net.runRound(r);
    expect(heads(net)).toEqual([2, 2, 2, 2]);
    net.link = () => true;
    net.addBlocks([...a, ...b]);
    for (let r = 6; r < 9; r++) net.runRound(r);
    const h = heads(net);
    expect(Math.min(...h)).toBeGreaterThan(2);
    expect(noConflict(net)).toBe(true);
    neverReverts(net);
  });

  it("a voter that precommitted a block keeps to its chain, so a longer fork cannot be finalised past it", () => {
    // Round 1: everyone sees the prevotes for A, but only voter 0 sees the precommits, so only voter 0
    // finalises A. Round 2: a longer fork B appears. Voters 1 and 2 precommitted A (their lock), so they
    // prevote on A's chain: B gets the faulty voter's prevote alone and is never finalised anywhere.
    const net = createNet(4, [3]);
    const a = chain(GENESIS, 2, "a");
    net.addBlocks(a);
    net.link = (_, to, v) => v.vote.phase === "prevote" || to === 0;
    net.runRound(1);
    expect(heads(net).slice(0, 3)).toEqual([2, 0, 0]);
    const b = chain(GENESIS, 6, "b");
    net.addBlocks(b);
    net.link = () => true;
    const bad = net.keys[3]!;
    const inject = (["prevote", "precommit"] as const).map((phase) => ({
      from: 3,
      vote: signVote({ round: 2n, phase, target: b[5]!, setId: 0n }, 3, bad),
      to: [0, 1, 2],
    }));
    net.runRound(2, inject);
    net.runRound(3);
    expect(noConflict(net)).toBe(true);
    for (const f of net.finalized.slice(0, 3))
      for (const x of f)
        expect(
          net.trees[0]!.isDescendant(x.hash, a[1]!.hash) || net.trees[0]!.isDescendant(a[1]!.hash, x.hash),
        ).toBe(true);
    neverReverts(net);
  });

  it("a commit from a finalised event proves finality to a node with only the headers; forged commits are refused", () => {
    const blocks = chain(GENESIS, 4, "a");
    // drive by hand to capture the commit
    const net2 = createNet(4);
    net2.addBlocks(blocks);
    const queue = net2.voters.flatMap((v, i) => v!.tick(1000).votes.map((vote) => ({ i, vote })));
    let found: Parameters<typeof encodeCommit>[0] | undefined;
    while (queue.length > 0) {
      const m = queue.shift()!;
      for (const [j, v] of net2.voters.entries()) {
        if (j === m.i) continue;
        // through the wire format, as gossip delivers it
        const wire = decodeVote(encodeVote(m.vote));
        if (!wire.ok) throw new Error(wire.error.shortMessage);
        const r = v!.onVote(wire.value);
        if (!r.ok) throw new Error(r.error.shortMessage);
        for (const vote of r.value.votes) queue.push({ i: j, vote });
        found ??= r.value.finalized[0]?.commit;
      }
    }
    expect(found).toBeDefined();
    const commit = decodeCommit(encodeCommit(found!));
    expect(commit.ok).toBe(true);
    if (!commit.ok) return;
    const light = createBlockTree(GENESIS);
    for (const b of blocks) light.add(b);
    const ctx = { validators: net2.validators, setId: 0n, isDescendant: light.isDescendant };
    expect(verifyCommit(commit.value, ctx)).toMatchObject({ ok: true, value: { number: 4 } });
    const c = commit.value;
    const cases: [string, typeof c, string][] = [
      ["too few", { ...c, precommits: c.precommits.slice(0, 2) }, "BelowThreshold"],
      [
        "a forged signature",
        {
          ...c,
          precommits: c.precommits.map((p, k) => (k === 0 ? { ...p, signature: new Uint8Array(64) } : p)),
        },
        "BadSignature",
      ],
      ["another set", { ...c, setId: 1n }, "WrongSetId"],
      [
        "a voter twice",
        { ...c, precommits: [c.precommits[0]!, c.precommits[0]!, c.precommits[1]!] },
        "Malformed",
      ],
      [
        "an unknown voter",
        { ...c, precommits: c.precommits.map((p, k) => (k === 0 ? { ...p, voter: 9 } : p)) },
        "UnknownVoter",
      ],
      ["another round", { ...c, round: c.round + 1n }, "BadSignature"],
    ];
    for (const [what, forged, reason] of cases) {
      const r = verifyCommit(forged, ctx);
      expect(r.ok, what).toBe(false);
      if (!r.ok) expect(r.error.reason, what).toBe(reason);
    }
    // the observer path: a voter without a key finalises from the commit alone
    const observerTree = createBlockTree(GENESIS);
    for (const b of blocks) observerTree.add(b);
    const observer = createVoter({
      validators: net2.validators,
      setId: 0n,
      roundMs: 1000,
      tree: observerTree,
    });
    expect(observer.onCommit(c)).toMatchObject({ ok: true });
    expect(observerTree.finalized().number).toBe(4);
  });

  it.each([
    ["garbage", new Uint8Array([1, 2, 3]), "Malformed"],
    ["oversized", new Uint8Array(4096), "Oversized"],
    [
      "a bad phase",
      (() => {
        const b = encodeVote(
          signVote({ round: 1n, phase: "prevote", target: GENESIS, setId: 0n }, 0, createNet(1).keys[0]!),
        );
        b[8] = 7;
        return b;
      })(),
      "Malformed",
    ],
  ])("decodeVote refuses %s without throwing", (_, bytes, reason) => {
    const r = decodeVote(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });

  it("votes with a bad signature, from an unknown voter, of another set or far rounds are refused", () => {
    const net = createNet(4);
    net.voters[0]!.tick(5000);
    const k = net.keys[1]!;
    const good = signVote({ round: 5n, phase: "prevote", target: GENESIS, setId: 0n }, 1, k);
    const cases: [string, typeof good, string][] = [
      ["bad signature", { ...good, signature: new Uint8Array(64) }, "BadSignature"],
      ["signed by another key", { ...good, voter: 2 }, "BadSignature"],
      ["unknown voter", { ...good, voter: 99 }, "UnknownVoter"],
      ["another set", signVote({ ...good.vote, setId: 3n }, 1, k), "WrongSetId"],
      ["a far round", signVote({ ...good.vote, round: 50n }, 1, k), "OutOfRound"],
      ["garbage shape", { vote: null, voter: 1, signature: 1 } as unknown as typeof good, "Malformed"],
    ];
    for (const [what, v, reason] of cases) {
      const r = net.voters[0]!.onVote(v);
      expect(r.ok, what).toBe(false);
      if (!r.ok) expect(r.error.reason, what).toBe(reason);
    }
    expect(net.voters[0]!.onVote(good).ok).toBe(true);
    // a flood of the same vote changes nothing
    for (let i = 0; i < 1000; i++)
      expect(net.voters[0]!.onVote(good)).toMatchObject({ ok: true, value: { votes: [], finalized: [] } });
  });
});

describe("grandpa safety (property)", () => {
  it("no two conflicting blocks are finalised with at most ⌊(n−1)/3⌋ faulty voters", () => {
    const seen = { finalised: 0, stalled: 0, equivocated: 0, forked: 0, healed: 0 };
    fc.assert(
      fc.property(
        fc.constantFrom(4, 7),
        // per round: which honest voters are on side 1 (bitmask), the fork each side builds on, its
        // length, and whether the network is whole this round
        fc.array(fc.tuple(fc.nat(127), fc.nat(7), fc.nat(2), fc.nat(2), fc.boolean()), {
          minLength: 3,
          maxLength: 10,
        }),
        (n, plan) => {
          const f = Math.floor((n - 1) / 3);
          const faulty = Array.from({ length: f }, (_, i) => n - 1 - i);
          const honest = Array.from({ length: n - f }, (_, i) => i);
          const net = createNet(n, faulty);
          const tips: BlockRef[] = [GENESIS];
          const all: ReturnType<typeof chain> = [];
          for (const [step, [mask, fork, lenA, lenB, whole]] of plan.entries()) {
            const round = step + 1;
            const sideOf = (i: number) => ((mask >> i) & 1) as 0 | 1;
            const sides = [honest.filter((i) => sideOf(i) === 0), honest.filter((i) => sideOf(i) === 1)];
            net.link = (i, j) => whole || faulty.includes(i) || sideOf(i) === sideOf(j);
            // each side builds its own fork, which only that side knows until the network is whole
            for (const [s, len] of [lenA, lenB].entries()) {
              const from = tips[(fork + s) % tips.length]!;
              const blocks = chain(from, len + 1, `r${round}/s${s}`);
              tips.push(blocks.at(-1)!);
              all.push(...blocks);
              net.addBlocks(blocks, sides[s]);
            }
            if (!tips.every((t) => t.number === tips.at(-1)!.number)) seen.forked++;
            // the faulty voters tell each side that they vote for that side's best block, in both phases
            const inject = faulty.flatMap((v) =>
              sides.flatMap((members) => {
                const target = members.length > 0 ? net.trees[members[0]!]!.best() : GENESIS;
                return (["prevote", "precommit"] as const).map((phase) => ({
                  from: v,
                  vote: signVote({ round: BigInt(round), phase, target, setId: 0n }, v, net.keys[v]!),
                  to: whole ? honest : members, // when whole, everyone sees both: evidence
                }));
              }),
            );
            net.runRound(round, inject);
            if (whole) {
              seen.healed++;
              net.addBlocks(all);
            }
          }
          net.addBlocks(all);
          if (!noConflict(net)) return false;
          neverReverts(net);
          if (net.finalized.some((x) => x.length > 0)) seen.finalised++;
          else seen.stalled++;
          if (net.equivocations.some((x) => x > 0)) seen.equivocated++;
          return true;
        },
      ),
      { numRuns: 80, seed: Number(process.env.FC_SEED ?? 20261203) },
    );
    for (const [what, k] of Object.entries(seen)) expect(k, what).toBeGreaterThan(0);
  });
});
