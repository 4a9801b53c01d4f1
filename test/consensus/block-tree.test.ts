/** Block tree and fork choice (DESIGN §11): longest chain containing the finalised block; finality never reverts. */
import { describe, expect, it } from "vitest";
import { createBlockTree } from "../../src/consensus/block-tree.ts";
import { chain, GENESIS } from "./sim.ts";

describe("block tree", () => {
  it("the best block is the longest chain's head that contains the finalised block", () => {
    const t = createBlockTree(GENESIS);
    const a = chain(GENESIS, 3, "a");
    const b = chain(GENESIS, 5, "b");
    for (const x of [...a, ...b]) expect(t.add(x).ok).toBe(true);
    expect(t.best()).toEqual({ hash: b[4]!.hash, number: 5 });
    expect(t.finalize(a[0]!.hash)).toEqual({ ok: true, value: [{ hash: a[0]!.hash, number: 1 }] });
    // the longer fork does not contain the finalised block: the shorter one is best now
    expect(t.best()).toEqual({ hash: a[2]!.hash, number: 3 });
    expect(t.isDescendant(a[2]!.hash, a[0]!.hash)).toBe(true);
    expect(t.isDescendant(b[2]!.hash, a[0]!.hash)).toBe(false);
    expect(t.isDescendant(a[0]!.hash, a[0]!.hash)).toBe(true);
  });

  it("equal lengths are broken by the smaller hash, so every node picks the same head", () => {
    const t = createBlockTree(GENESIS);
    const a = chain(GENESIS, 2, "a");
    const b = chain(GENESIS, 2, "b");
    for (const x of [...b, ...a]) t.add(x);
    const want = Buffer.compare(a[1]!.hash, b[1]!.hash) < 0 ? a[1]! : b[1]!;
    expect(t.best().hash).toEqual(want.hash);
  });

  it("finalize never reverts: a block off the finalised chain is refused, an ancestor is a no-op", () => {
    const t = createBlockTree(GENESIS);
    const a = chain(GENESIS, 3, "a");
    const b = chain(GENESIS, 3, "b");
    for (const x of [...a, ...b]) t.add(x);
    expect(t.finalize(a[1]!.hash)).toMatchObject({ ok: true, value: [{ number: 1 }, { number: 2 }] });
    expect(t.finalize(b[2]!.hash)).toMatchObject({ ok: false, error: { reason: "ConflictsWithFinalized" } });
    expect(t.finalize(a[0]!.hash)).toEqual({ ok: true, value: [] });
    expect(t.finalize(new Uint8Array(32))).toMatchObject({ ok: false, error: { reason: "UnknownBlock" } });
    expect(t.finalized().number).toBe(2);
    const dropped = t.prune();
    expect(dropped.map((d) => d.number).sort()).toEqual([0, 1, 1, 2, 3]);
    expect(t.size()).toBe(2);
    expect(t.best()).toEqual({ hash: a[2]!.hash, number: 3 });
  });

  it("discard forgets an invalid block and its descendants, never a final block", () => {
    const t = createBlockTree(GENESIS);
    const a = chain(GENESIS, 3, "a");
    const b = chain(GENESIS, 4, "b");
    for (const x of [...a, ...b]) t.add(x);
    expect(t.best().hash).toEqual(b[3]!.hash);
    const gone = t.discard(b[1]!.hash);
    expect(gone.ok && gone.value.map((g) => g.number).sort()).toEqual([2, 3, 4]);
    expect(t.has(b[2]!.hash)).toBe(false);
    expect(t.best().hash).toEqual(a[2]!.hash);
    t.finalize(a[0]!.hash);
    expect(t.discard(a[0]!.hash)).toMatchObject({ ok: false, error: { reason: "ConflictsWithFinalized" } });
    expect(t.discard(GENESIS.hash)).toMatchObject({ ok: false, error: { reason: "ConflictsWithFinalized" } });
    expect(t.discard(new Uint8Array(32))).toMatchObject({ ok: false, error: { reason: "UnknownBlock" } });
    expect(t.discard(a[2]!.hash).ok).toBe(true);
    expect(t.best().hash).toEqual(a[1]!.hash);
  });

  it.each([
    [
      "an unknown parent",
      { hash: new Uint8Array(32).fill(1), parent: new Uint8Array(32).fill(2), number: 1 },
      "UnknownBlock",
    ],
    [
      "a number that is not the parent's + 1",
      { hash: new Uint8Array(32).fill(1), parent: GENESIS.hash, number: 5 },
      "WrongParent",
    ],
    ["a short hash", { hash: new Uint8Array(3), parent: GENESIS.hash, number: 1 }, "Malformed"],
    ["no hash", { hash: null, parent: GENESIS.hash, number: 1 }, "Malformed"],
  ])("refuses %s", (_, h, reason) => {
    const r = createBlockTree(GENESIS).add(h as never);
    expect(r).toMatchObject({ ok: false, error: { reason } });
  });
});
