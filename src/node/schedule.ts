/**
 * Block building decisions of DESIGN §8, as pure functions of the parent hash and the actors' work:
 * who is each actor's canonical collator, which actors are co-scheduled, and which core runs them.
 */
import { blake2b256 } from "../crypto/blake2b.ts";

/**
 * Deterministic Fisher–Yates shuffle driven by blake2b-256(seed ‖ counter), so every node that knows the
 * parent hash computes the same order.
 *
 * @example seededShuffle([1, 2, 3], parentHash)
 */
export function seededShuffle<T>(items: readonly T[], seed: Uint8Array): T[] {
  const out = [...items];
  let pool: Uint8Array = new Uint8Array(0);
  let at = 0;
  let counter = 0;
  const nextU32 = (): number => {
    if (at + 4 > pool.length) {
      const c = new Uint8Array(4);
      new DataView(c.buffer).setUint32(0, counter++);
      pool = blake2b256(seed, c);
      at = 0;
    }
    const v = new DataView(pool.buffer, pool.byteOffset + at, 4).getUint32(0);
    at += 4;
    return v;
  };
  for (let i = out.length - 1; i > 0; i--) {
    // modulo bias is irrelevant here: fairness, not secrecy
    const j = nextU32() % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * The canonical collator of every actor for the block on `parentHash` (DESIGN §8): the actors, shuffled
 * with the parent hash as seed, are dealt round-robin to the collators.
 *
 * @example canonicalCollators([0, 1, 2, 3], 3, parentHash).get(2) // 0, 1 or 2
 */
export function canonicalCollators(
  actors: readonly number[],
  collators: number,
  parentHash: Uint8Array,
): Map<number, number> {
  const order = seededShuffle(
    [...actors].sort((a, b) => a - b),
    parentHash,
  );
  const out = new Map<number, number>();
  for (const [i, a] of order.entries()) out.set(a, i % Math.max(1, collators));
  return out;
}

/**
 * Groups the actors with work together with their `dependencies()` (transitively) so each group can be
 * co-scheduled on one core (DESIGN §8). Unknown ids in dependencies are ignored. Groups above
 * `maxGroup` actors are cut, keeping the lowest ids (deterministic).
 *
 * @example groupActors([1, 5], (a) => (a === 1 ? [2] : []), (a) => a < 10, 64) // [[1, 2], [5]]
 */
export function groupActors(
  withWork: readonly number[],
  dependencies: (actor: number) => readonly number[],
  exists: (actor: number) => boolean,
  maxGroup: number,
): number[][] {
  const parent = new Map<number, number>();
  const find = (a: number): number => {
    let r = a;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(a, r);
    return r;
  };
  const add = (a: number) => {
    if (!parent.has(a)) parent.set(a, a);
  };
  const todo = [...withWork];
  const seen = new Set<number>();
  for (const a of todo) add(a);
  while (todo.length > 0) {
    const a = todo.pop()!;
    if (seen.has(a)) continue;
    seen.add(a);
    for (const d of dependencies(a)) {
      if (d === a || !exists(d)) continue;
      add(d);
      const [ra, rd] = [find(a), find(d)];
      if (ra !== rd) parent.set(Math.max(ra, rd), Math.min(ra, rd));
      if (!seen.has(d)) todo.push(d);
    }
  }
  const groups = new Map<number, number[]>();
  for (const a of parent.keys()) {
    const r = find(a);
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r)!.push(a);
  }
  return [...groups.values()]
    .map((g) => g.sort((x, y) => x - y).slice(0, maxGroup))
    .sort((x, y) => x[0]! - y[0]!);
}

export interface Group {
  actors: number[];
  /** Agenda items the group needs (queued calls + services). */
  weight: number;
  collator: number;
  /**
   * What the group's `payout()` offers per unit of gas it is expected to use (issue 13 §3; default 0).
   * Higher ranks get cores first; a group offering nothing runs only on cores left over.
   */
  rank?: number;
  /**
   * The group used (about) a whole core's budget last time: it gets a core of its own, never shared,
   * so it cannot starve the actors it would share with (their Services would start with no gas left).
   */
  alone?: boolean;
}

export interface CoreAssignment {
  core: number;
  collator: number;
  actors: number[];
  weight: number;
}

/**
 * Packs groups onto `cores` cores (DESIGN §8): best `rank` first, then heaviest; a group takes a free core, else shares the
 * least-loaded core of its own collator (one collator builds each PoV) within the limits; otherwise it
 * waits for a later block. Returns the cores in use and the groups deferred.
 *
 * @example packCores([{ actors: [1], weight: 3, collator: 0 }], 4, { maxItems: 4096, maxActors: 64 })
 */
export function packCores(
  groups: readonly Group[],
  cores: number,
  limits: { maxItems: number; maxActors: number },
): { cores: CoreAssignment[]; deferred: Group[] } {
  const used: CoreAssignment[] = [];
  const deferred: Group[] = [];
  const single = new Set<CoreAssignment>();
  // best offer per gas first (DESIGN §8 incentives); then heaviest; then lowest id (deterministic)
  const sorted = [...groups].sort(
    (a, b) => (b.rank ?? 0) - (a.rank ?? 0) || b.weight - a.weight || a.actors[0]! - b.actors[0]!,
  );
  for (const g of sorted) {
    if (used.length < cores) {
      const c = { core: used.length, collator: g.collator, actors: [...g.actors], weight: g.weight };
      used.push(c);
      if (g.alone) single.add(c);
      continue;
    }
    if (g.alone) {
      deferred.push(g);
      continue;
    }
    const fits = used
      .filter(
        (c) =>
          !single.has(c) &&
          c.collator === g.collator &&
          c.weight + g.weight <= limits.maxItems &&
          c.actors.length + g.actors.length <= limits.maxActors,
      )
      .sort((a, b) => a.weight - b.weight || a.core - b.core);
    const c = fits[0];
    if (c) {
      c.actors.push(...g.actors);
      c.actors.sort((x, y) => x - y);
      c.weight += g.weight;
    } else deferred.push(g);
  }
  return { cores: used, deferred };
}
