/**
 * STAND-IN for the block tree of src/consensus/ (branch state-root): the headers this node knows, their
 * ancestry, and fork choice (DESIGN §11: the longest chain that contains the last finalised block; a
 * tie keeps the block seen first). Pure; replaced when src/consensus/ lands.
 */
import { toHex } from "../../codec/bytes.ts";
import type { Hash } from "../../codec/ids.ts";

export interface TreeEntry {
  hash: Hash;
  number: number;
  parent: Hash;
  slot: bigint;
  author: number;
}

export interface BlockTree {
  add(e: TreeEntry): void;
  get(hash: Hash): TreeEntry | undefined;
  has(hash: Hash): boolean;
  /** Whether `a` is `b` or an ancestor of `b` (false when either is unknown). */
  isAncestor(a: Hash, b: Hash): boolean;
  /** The block of `b`'s chain at `number` (undefined when unknown). */
  ancestorAt(b: Hash, number: number): TreeEntry | undefined;
  /** Leaves that contain `finalized`, longest first. */
  leaves(finalized: Hash): TreeEntry[];
  /** Forgets `hash` and every block above it (a block found invalid). */
  remove(hash: Hash): void;
  /** Forgets blocks below `number` that are not ancestors of `keep` (after finality). */
  prune(keep: Hash, number: number): void;
  readonly size: number;
}

export function createBlockTree(genesis: TreeEntry): BlockTree {
  const byHash = new Map<string, TreeEntry>();
  // each entry's parent key, so a walk down the tree makes no hex strings
  const parentKey = new Map<string, string>();
  const keyOf = new WeakMap<TreeEntry, string>();
  const key = (e: TreeEntry): string => {
    let k = keyOf.get(e);
    if (k === undefined) {
      k = toHex(e.hash);
      keyOf.set(e, k);
    }
    return k;
  };
  const children = new Map<string, Set<string>>();
  const order = new Map<string, number>();
  let seq = 0;
  const tree: BlockTree = {
    add(e) {
      const k = toHex(e.hash);
      if (byHash.has(k)) return;
      byHash.set(k, e);
      keyOf.set(e, k);
      parentKey.set(k, toHex(e.parent));
      order.set(k, seq++);
      const p = toHex(e.parent);
      if (!children.has(p)) children.set(p, new Set());
      children.get(p)!.add(k);
    },
    get: (h) => byHash.get(toHex(h)),
    has: (h) => byHash.has(toHex(h)),
    isAncestor(a, b) {
      const ea = tree.get(a);
      if (!ea) return false;
      const at = tree.ancestorAt(b, ea.number);
      return at !== undefined && toHex(at.hash) === toHex(ea.hash);
    },
    ancestorAt(b, number) {
      let k: string | undefined = toHex(b);
      let e = byHash.get(k);
      while (e && e.number > number) {
        k = parentKey.get(key(e));
        e = k === undefined ? undefined : byHash.get(k);
      }
      return e && e.number === number ? e : undefined;
    },
    leaves(finalized) {
      const out: TreeEntry[] = [];
      const stack: string[] = [toHex(finalized)];
      while (stack.length > 0) {
        const k = stack.pop()!;
        const kids = children.get(k);
        if (!kids || kids.size === 0) {
          const e = byHash.get(k);
          if (e) out.push(e);
        } else for (const c of kids) stack.push(c);
      }
      return out.sort((x, y) => y.number - x.number || order.get(toHex(x.hash))! - order.get(toHex(y.hash))!);
    },
    remove(hash) {
      const stack: string[] = [toHex(hash)];
      while (stack.length > 0) {
        const k = stack.pop()!;
        const e = byHash.get(k);
        if (!e) continue;
        byHash.delete(k);
        parentKey.delete(k);
        children.get(toHex(e.parent))?.delete(k);
        for (const c of children.get(k) ?? []) stack.push(c);
        children.delete(k);
      }
    },
    prune(keep, number) {
      // one walk down the kept chain, then every other block below `number` goes
      const chain = new Set<string>();
      for (let e = tree.get(keep); e; e = tree.get(e.parent)) chain.add(toHex(e.hash));
      for (const [k, e] of [...byHash]) {
        if (e.number < number && !chain.has(k)) {
          byHash.delete(k);
          parentKey.delete(k);
          children.delete(k);
          children.get(toHex(e.parent))?.delete(k);
        }
      }
    },
    get size() {
      return byHash.size;
    },
  };
  tree.add(genesis);
  return tree;
}
