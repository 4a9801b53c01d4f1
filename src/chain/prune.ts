/**
 * Block-body pruning for a node run with `--pruning <depth>` (issue 13 §3): an old block keeps its
 * header and hash (the chain of hashes stays whole, `blockByHash` still finds it) and loses the lists of
 * its body (transaction hashes, admitted / canonicalised / expired PoV ids). State is never pruned: it is
 * not per block. Not consensus: a pruned node's state and headers are the same as an archive node's.
 */
import { T } from "./state.ts";
import type { Storage } from "./storage.ts";

/**
 * Empties the bodies of blocks `from..to-1` in one storage transaction; returns how many it emptied.
 *
 * @example pruneBlockBodies(storage, 0, head - depth) // 0..head-depth-1 keep headers only
 */
export function pruneBlockBodies(storage: Storage, from: number, to: number): number {
  let n = 0;
  storage.transaction((kv) => {
    for (let b = Math.max(0, from); b < to; b++) {
      const rec = T.block.get(kv, b);
      if (
        !rec ||
        (rec.txs.length | rec.admitted.length | rec.canonicalised.length | rec.expired.length) === 0
      )
        continue;
      T.block.put(kv, b, { ...rec, txs: [], admitted: [], canonicalised: [], expired: [] });
      n++;
    }
  });
  return n;
}
