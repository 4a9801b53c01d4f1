/**
 * The block tree and fork choice (DESIGN §11): every known header by hash, the best block = the head
 * of the longest chain that contains the last finalised block (ties: the smaller hash, so every node
 * picks the same), and finality that never reverts (`finalize` refuses a block that does not descend
 * from the finalised one). Pure, in memory; never throws on bad input.
 */
import { toHex } from "../codec/bytes.ts";
import type { Hash } from "../codec/ids.ts";
import { ok, type Result } from "../errors.ts";
import { type ConsensusRefusal, refuse } from "./errors.ts";

export interface BlockRef {
  hash: Hash;
  number: number;
}

export interface TreeHeader extends BlockRef {
  parent: Hash;
}

interface Node extends TreeHeader {
  key: string;
  parentKey: string;
  children: Set<string>;
}

export interface BlockTree {
  /** Adds a header whose parent is known; adding a known one again is ok (nothing changes). */
  add(h: TreeHeader): Result<BlockRef, ConsensusRefusal>;
  has(hash: Uint8Array): boolean;
  get(hash: Uint8Array): TreeHeader | undefined;
  /** Whether `block` is `ancestor` or descends from it (false if either is unknown). */
  isDescendant(block: Uint8Array, ancestor: Uint8Array): boolean;
  /** `block`'s ancestor (or itself) at `number`, if known. */
  ancestorAt(block: Uint8Array, number: number): BlockRef | undefined;
  /** The head of the longest chain containing the last finalised block. */
  best(): BlockRef;
  /** The head of the longest chain containing `block` (itself when it has no known descendant). */
  bestFrom(block: Uint8Array): BlockRef | undefined;
  finalized(): BlockRef;
  /**
   * Finalises `hash` and its ancestors: returns the newly finalised blocks, oldest first (empty if it
   * already was). Refused for an unknown block or one that conflicts with the finalised block.
   */
  finalize(hash: Uint8Array): Result<BlockRef[], ConsensusRefusal>;
  /** Drops every block that does not descend from the finalised block, and its ancestors; returns them. */
  prune(): BlockRef[];
  /**
   * Forgets a block found invalid and every block above it; returns them. Refused for the finalised
   * block and its ancestors (never reverted) and for an unknown block.
   */
  discard(hash: Uint8Array): Result<BlockRef[], ConsensusRefusal>;
  size(): number;
}

const keyOf = (h: Uint8Array) => toHex(h);
const ref = (n: Node): BlockRef => ({ hash: n.hash, number: n.number });

/**
 * A tree rooted at a finalised block (genesis, or the last finalised block a node restarts from).
 * @example
 * const tree = createBlockTree({ hash: genesisHash, number: 0 });
 * tree.add({ hash, parent: genesisHash, number: 1 });
 * tree.best(); // { hash, number: 1 }
 */
export function createBlockTree(root: BlockRef): BlockTree {
  const nodes = new Map<string, Node>();
  const rootKey = keyOf(root.hash);
  nodes.set(rootKey, { ...root, parent: root.hash, key: rootKey, parentKey: "", children: new Set() });
  let fin = nodes.get(rootKey) as Node;

  const node = (h: Uint8Array): Node | undefined => {
    try {
      return nodes.get(keyOf(h));
    } catch {
      return undefined;
    }
  };
  const ancestorNode = (n: Node, number: number): Node | undefined => {
    let at: Node | undefined = n;
    while (at && at.number > number) at = nodes.get(at.parentKey);
    return at && at.number === number ? at : undefined;
  };
  const deepest = (n: Node): Node => {
    let best = n;
    const stack = [n];
    while (stack.length > 0) {
      const x = stack.pop() as Node;
      if (x.number > best.number || (x.number === best.number && x.key < best.key)) best = x;
      for (const c of x.children) stack.push(nodes.get(c) as Node);
    }
    return best;
  };

  const tree: BlockTree = {
    add(h) {
      try {
        if (!(h.hash instanceof Uint8Array) || h.hash.length !== 32 || !(h.parent instanceof Uint8Array)) {
          return refuse("Malformed", "A header needs 32-byte hash and parent");
        }
        const k = keyOf(h.hash);
        const known = nodes.get(k);
        if (known) return ok(ref(known));
        const p = node(h.parent);
        if (!p) return refuse("UnknownBlock", "Unknown parent", `parent ${keyOf(h.parent)} of #${h.number}`);
        if (h.number !== p.number + 1) {
          return refuse("WrongParent", "The number is not the parent's + 1", `#${h.number} on #${p.number}`);
        }
        const n: Node = {
          hash: h.hash,
          parent: h.parent,
          number: h.number,
          key: k,
          parentKey: p.key,
          children: new Set(),
        };
        nodes.set(k, n);
        p.children.add(k);
        return ok(ref(n));
      } catch (e) {
        return refuse("Malformed", "The header is malformed", (e as Error)?.message);
      }
    },
    has: (h) => node(h) !== undefined,
    get(h) {
      const n = node(h);
      return n ? { hash: n.hash, parent: n.parent, number: n.number } : undefined;
    },
    isDescendant(block, ancestor) {
      const b = node(block);
      const a = node(ancestor);
      if (!b || !a) return false;
      return ancestorNode(b, a.number) === a;
    },
    ancestorAt(block, number) {
      const b = node(block);
      const a = b && ancestorNode(b, number);
      return a ? ref(a) : undefined;
    },
    best: () => ref(deepest(fin)),
    bestFrom(block) {
      const b = node(block);
      return b ? ref(deepest(b)) : undefined;
    },
    finalized: () => ref(fin),
    finalize(hash) {
      const n = node(hash);
      if (!n) return refuse("UnknownBlock", "Cannot finalise an unknown block", keyOf(hash));
      if (ancestorNode(fin, n.number) === n) return ok([]); // already final (the finalised block or an ancestor)
      if (ancestorNode(n, fin.number) !== fin) {
        return refuse(
          "ConflictsWithFinalized",
          "The block does not descend from the finalised block",
          `#${n.number} vs finalised #${fin.number}`,
        );
      }
      const route: BlockRef[] = [];
      for (let at: Node | undefined = n; at && at !== fin; at = nodes.get(at.parentKey)) route.push(ref(at));
      fin = n;
      return ok(route.reverse());
    },
    prune() {
      const keep = new Set<string>();
      const stack = [fin];
      while (stack.length > 0) {
        const x = stack.pop() as Node;
        keep.add(x.key);
        for (const c of x.children) stack.push(nodes.get(c) as Node);
      }
      const dropped: BlockRef[] = [];
      for (const [k, n] of nodes) {
        if (!keep.has(k)) {
          dropped.push(ref(n));
          nodes.delete(k);
        }
      }
      fin.parentKey = "";
      return dropped;
    },
    discard(hash) {
      const n = node(hash);
      if (!n) return refuse("UnknownBlock", "Cannot discard an unknown block", keyOf(hash));
      if (ancestorNode(fin, n.number) === n)
        return refuse("ConflictsWithFinalized", "A finalised block is never discarded", `#${n.number}`);
      const gone: BlockRef[] = [];
      const stack = [n];
      while (stack.length > 0) {
        const x = stack.pop() as Node;
        gone.push(ref(x));
        nodes.delete(x.key);
        for (const c of x.children) stack.push(nodes.get(c) as Node);
      }
      nodes.get(n.parentKey)?.children.delete(n.key);
      return ok(gone);
    },
    size: () => nodes.size,
  };
  return tree;
}
