import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalCollators, groupActors, packCores, seededShuffle } from "../../src/node/schedule.ts";

const seed = (n: number) => new Uint8Array(32).fill(n);

describe("seededShuffle", () => {
  it("is a permutation, and deterministic in the seed", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 50 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (xs, s) => {
          const a = seededShuffle(xs, s);
          expect([...a].sort()).toEqual([...xs].sort());
          expect(seededShuffle(xs, s)).toEqual(a);
        },
      ),
    );
  });

  it("changes with the seed", () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    expect(seededShuffle(xs, seed(1))).not.toEqual(seededShuffle(xs, seed(2)));
  });
});

describe("canonicalCollators", () => {
  it("gives every actor exactly one collator, balanced within one", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(1000), { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        (actors, n) => {
          const m = canonicalCollators(actors, n, seed(3));
          expect([...m.keys()].sort((a, b) => a - b)).toEqual([...actors].sort((a, b) => a - b));
          const counts = Array.from({ length: n }, (_, c) => [...m.values()].filter((x) => x === c).length);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it("rotates actors between collators as the parent hash changes", () => {
    const actors = Array.from({ length: 30 }, (_, i) => i);
    const a = canonicalCollators(actors, 3, seed(1));
    const b = canonicalCollators(actors, 3, seed(2));
    expect(actors.some((x) => a.get(x) !== b.get(x))).toBe(true);
    // and does not depend on the order actors are listed in
    expect(canonicalCollators([...actors].reverse(), 3, seed(1))).toEqual(a);
  });
});

describe("groupActors", () => {
  it("co-schedules actors with their dependencies, transitively", () => {
    const deps: Record<number, number[]> = { 1: [2], 2: [3], 5: [], 7: [1], 9: [99] };
    const g = groupActors(
      [1, 5, 7, 9],
      (a) => deps[a] ?? [],
      (a) => a < 50,
      64,
    );
    expect(g).toEqual([[1, 2, 3, 7], [5], [9]]);
  });

  it("puts every actor in exactly one group, and each actor with its existing dependencies", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(30), { minLength: 1, maxLength: 20 }),
        fc.dictionary(fc.nat(30).map(String), fc.array(fc.nat(40), { maxLength: 3 })),
        (work, depMap) => {
          const deps = (a: number) => depMap[String(a)] ?? [];
          const exists = (a: number) => a <= 30;
          const groups = groupActors(work, deps, exists, 1000);
          const all = groups.flat();
          expect(new Set(all).size).toBe(all.length);
          for (const a of work) expect(all).toContain(a);
          const where = new Map<number, number>();
          for (const [i, g] of groups.entries()) for (const a of g) where.set(a, i);
          for (const a of all)
            for (const d of deps(a)) if (exists(d) && d !== a) expect(where.get(d)).toBe(where.get(a));
        },
      ),
    );
  });

  it("cuts a group at maxGroup actors", () => {
    const g = groupActors(
      [0],
      () => Array.from({ length: 100 }, (_, i) => i),
      () => true,
      64,
    );
    expect(g[0]).toHaveLength(64);
  });
});

describe("packCores", () => {
  const limits = { maxItems: 100, maxActors: 4 };

  it("spreads groups over free cores, heaviest first", () => {
    const r = packCores(
      [
        { actors: [1], weight: 5, collator: 0 },
        { actors: [2], weight: 50, collator: 1 },
        { actors: [3], weight: 20, collator: 0 },
      ],
      4,
      limits,
    );
    expect(r.cores.map((c) => c.actors)).toEqual([[2], [3], [1]]);
    expect(r.deferred).toEqual([]);
  });

  it("shares a core only with a group of the same collator, within the limits, else defers", () => {
    const r = packCores(
      [
        { actors: [1], weight: 60, collator: 0 },
        { actors: [2], weight: 50, collator: 1 },
        { actors: [3], weight: 30, collator: 0 },
        { actors: [4], weight: 30, collator: 2 },
        { actors: [5], weight: 50, collator: 0 },
      ],
      2,
      limits,
    );
    expect(r.cores).toEqual([
      { core: 0, collator: 0, actors: [1, 3], weight: 90 },
      { core: 1, collator: 1, actors: [2], weight: 50 },
    ]);
    expect(r.deferred.map((g) => g.actors[0])).toEqual([5, 4]);
  });

  it("never exceeds the cores or the limits and loses no group", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            weight: fc.integer({ min: 1, max: 60 }),
            collator: fc.nat(2),
            n: fc.integer({ min: 1, max: 3 }),
          }),
          { maxLength: 30 },
        ),
        fc.integer({ min: 1, max: 6 }),
        (gs, cores) => {
          let id = 0;
          const groups = gs.map((g) => ({
            actors: Array.from({ length: g.n }, () => id++),
            weight: g.weight,
            collator: g.collator,
          }));
          const r = packCores(groups, cores, limits);
          expect(r.cores.length).toBeLessThanOrEqual(cores);
          for (const c of r.cores) {
            expect(c.actors.length).toBeLessThanOrEqual(Math.max(limits.maxActors, 3));
          }
          const placed = r.cores.flatMap((c) => c.actors).length + r.deferred.flatMap((g) => g.actors).length;
          expect(placed).toBe(id);
        },
      ),
    );
  });
});
