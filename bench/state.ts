/**
 * The state root's incremental update (DESIGN §11; src/chain/trie): the time to apply 100 changed
 * keys (half updates, half inserts) to a trie of 10^4 and of 10^6 keys, each a storage transaction
 * as in a block. The ratio must stay ≤ 2: a block's root costs O(changed keys · depth), not O(state).
 */
import { createMemoryStorage } from "../src/chain/storage-memory.ts";
import { type TrieChange, trieChange, updateTrie } from "../src/chain/trie/index.ts";
import { type Bench, round, sideBySide } from "./lib.ts";

const enc = new TextEncoder();
const CHANGED = 100;

/** A trie of `n` keys, built in one storage transaction. */
function stateOf(n: number) {
  const storage = createMemoryStorage();
  storage.transaction((kv) => {
    const all: TrieChange[] = [];
    for (let i = 0; i < n; i++) all.push(trieChange(enc.encode(`key ${i}`), enc.encode(`value ${i}`)));
    updateTrie(kv, all);
  });
  let round = 0;
  return {
    storage,
    /** One block's worth: 50 existing keys get new values, 50 new keys appear. */
    block() {
      round++;
      const changes: TrieChange[] = [];
      for (let j = 0; j < CHANGED / 2; j++) {
        const at = (round * 7919 + j * 104_729) % n;
        changes.push(trieChange(enc.encode(`key ${at}`), enc.encode(`value ${at} at ${round}`)));
        changes.push(trieChange(enc.encode(`new ${round}/${j}`), enc.encode(`value ${round}`)));
      }
      storage.transaction((kv) => updateTrie(kv, changes));
    },
  };
}

const bench: Bench = () => {
  const small = stateOf(10_000);
  const large = stateOf(1_000_000);
  const t = sideBySide(small.block, large.block, 31);
  return [
    {
      name: "state.root_update_ratio",
      value: round(t.b / t.a),
      unit: "×",
      target: { max: 2 },
      note: `100 changed keys: ${round(t.a)} ms at 10^4 keys, ${round(t.b)} ms at 10^6 (medians of 31, side by side)`,
    },
    { name: "state.root_update_100_keys_ms", value: round(t.b), unit: "ms", note: "at 10^6 keys of state" },
  ];
};
export default bench;
