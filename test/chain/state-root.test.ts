/** The state root (DESIGN §11): incremental updates equal the root by definition; proofs check against a header alone. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  type Chain,
  createLmdbStorage,
  createMemoryStorage,
  decodeProof,
  EMPTY_ROOT,
  encodeProof,
  isStateTable,
  META_KEY,
  MetaState,
  metaStateBytes,
  rootOfLeaves,
  type StateProof,
  type Storage,
  trieChange,
  updateTrie,
  verifyProof,
} from "../../src/chain/index.ts";
import { key, Prefix } from "../../src/chain/storage.ts";
import { proveKey } from "../../src/chain/trie/index.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { alice, block, bob, bytes, makePov, newChain, nextSlab, setup, tx } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The root of every state key by the definition, from a full scan (what the incremental update must equal). */
function rootByScan(storage: Storage, chain: Chain): Uint8Array {
  const leaves = [
    { keyHash: blake2b256(META_KEY), valueHash: blake2b256(metaStateBytes({ ...metaOf(chain) })) },
  ];
  for (const [k, v] of storage.scan(new Uint8Array())) {
    if (isStateTable(k[0] as number)) leaves.push({ keyHash: blake2b256(k), valueHash: blake2b256(v) });
  }
  return rootOfLeaves(leaves);
}
/** The meta record's state fields, read back through the chain's own proof of META_KEY. */
const metaOf = (chain: Chain) => ({
  head: 0,
  headHash: EMPTY_ROOT,
  genesisHash: EMPTY_ROOT,
  ...MetaState.dec(chain.stateProof(META_KEY).value as Uint8Array),
});

describe("state trie", () => {
  it("an incremental update gives the root of the whole key set, whatever the order and batching", () => {
    const seen = { insert: 0, update: 0, delete: 0, deleteAbsent: 0, collapse: 0 };
    fc.assert(
      fc.property(
        fc.array(
          fc.array(
            fc.tuple(
              fc.integer({ min: 0, max: 40 }),
              fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
            ),
            {
              maxLength: 30,
            },
          ),
          { minLength: 1, maxLength: 8 },
        ),
        (batches) => {
          const storage = createMemoryStorage();
          const model = new Map<number, number>();
          let root = EMPTY_ROOT as Uint8Array;
          for (const batch of batches) {
            const last = new Map<number, number | null>();
            for (const [k, v] of batch) last.set(k, v);
            const before = model.size;
            for (const [k, v] of last) {
              if (v === null) seen[model.has(k) ? "delete" : "deleteAbsent"]++;
              else seen[model.has(k) ? "update" : "insert"]++;
              if (v === null) model.delete(k);
              else model.set(k, v);
            }
            if (model.size < before) seen.collapse++;
            root = storage.transaction((kv) =>
              updateTrie(
                kv,
                [...last].map(([k, v]) => trieChange(bytes(`k${k}`), v === null ? null : bytes(`v${v}`))),
              ),
            );
            const want = rootOfLeaves(
              [...model].map(([k, v]) => ({
                keyHash: blake2b256(bytes(`k${k}`)),
                valueHash: blake2b256(bytes(`v${v}`)),
              })),
            );
            expect(root).toEqual(want);
          }
          // Nothing stale is left below the trie: exactly one stored leaf per key.
          let leaves = 0;
          for (const [k, v] of storage.scan(new Uint8Array([Prefix.Trie])))
            if (k.length > 1 && v[0] === 1) leaves++;
          expect(leaves).toBe(model.size);
        },
      ),
      { numRuns: 150, seed: Number(process.env.FC_SEED ?? 20261203) },
    );
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  });

  it("proves presence and absence; a proof for another value, key or root is refused", () => {
    const storage = createMemoryStorage();
    const root = storage.transaction((kv) =>
      updateTrie(
        kv,
        Array.from({ length: 200 }, (_, i) => trieChange(bytes(`k${i}`), bytes(`v${i}`))),
      ),
    );
    const prove = (k: string) => proveKey(storage, bytes(k));
    for (let i = 0; i < 200; i += 17) {
      const p = prove(`k${i}`);
      expect(verifyProof(root, bytes(`k${i}`), bytes(`v${i}`), p)).toBe(true);
      expect(verifyProof(root, bytes(`k${i}`), bytes(`v${i + 1}`), p)).toBe(false);
      expect(verifyProof(root, bytes(`k${i}`), null, p)).toBe(false);
      expect(verifyProof(root, bytes(`k${i + 1}`), bytes(`v${i}`), p)).toBe(false);
      expect(verifyProof(blake2b256(root), bytes(`k${i}`), bytes(`v${i}`), p)).toBe(false);
      const bad = { ...p, siblings: p.siblings.map((s, j) => (j === 0 ? blake2b256(s) : s)) };
      expect(verifyProof(root, bytes(`k${i}`), bytes(`v${i}`), bad)).toBe(false);
    }
    const ends = { Empty: 0, Leaf: 0 };
    for (let i = 200; i < 260; i++) {
      const p = prove(`k${i}`);
      ends[p.end.tag]++;
      expect(verifyProof(root, bytes(`k${i}`), null, p)).toBe(true);
      expect(verifyProof(root, bytes(`k${i}`), bytes("x"), p)).toBe(false);
    }
    for (const [what, n] of Object.entries(ends)) expect(n, `absence ending in ${what}`).toBeGreaterThan(0);
  });

  it.each([
    ["garbage bytes", () => decodeProof(bytes("not a proof"))],
    [
      "truncated",
      () => decodeProof(encodeProof({ siblings: [EMPTY_ROOT], end: { tag: "Empty" } }).subarray(0, 10)),
    ],
    ["oversized", () => decodeProof(new Uint8Array(64 * 1024))],
  ])("a malformed proof (%s) is a refusal, never a throw", (_, decode) => {
    const r = decode();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("CODEC_MALFORMED");
  });

  it("verifyProof returns false (never throws) for proofs of the wrong shape", () => {
    const k = bytes("k");
    for (const p of [
      null,
      {},
      { siblings: "x", end: { tag: "Empty" } },
      { siblings: [1], end: { tag: "Empty" } },
      { siblings: [], end: { tag: "Leaf" } },
      { siblings: [], end: { tag: "?" } },
    ]) {
      expect(verifyProof(EMPTY_ROOT, k, null, p as unknown as StateProof)).toBe(false);
    }
    expect(verifyProof(EMPTY_ROOT, k, null, { siblings: [], end: { tag: "Empty" } })).toBe(true);
  });
});

describe("the chain's state root", () => {
  it("every header's root is the root of the whole state after it, and moves with every state change", () => {
    const storage = createMemoryStorage();
    const { chain, ids } = setup(2, 1000n, newChain(storage));
    const roots = new Set<string>();
    const check = () => {
      const h = chain.head().header;
      expect(h.stateRoot).toEqual(rootByScan(storage, chain));
      roots.add(Buffer.from(h.stateRoot).toString("hex"));
    };
    check();
    block(chain, [tx(chain, bob, { tag: "Post", value: { actor: ids[0], data: bytes("hi") } })]);
    check();
    block(chain, [], [makePov([nextSlab(chain, ids[0], "a")])]);
    check();
    block(chain, [tx(chain, alice, { tag: "Transfer", value: { to: bob.publicKey, amount: 5n } })]);
    check();
    expect(roots.size).toBe(4);
  });

  it("a proof from the head checks against the head's header alone, for a value and for an absent key", () => {
    const { chain, ids } = setup(1, 1000n);
    const header = chain.head().header;
    const k = key(Prefix.Actor, ids[0]);
    const p = chain.stateProof(k);
    expect(p.value).toBeDefined();
    const wire = decodeProof(encodeProof(p.proof));
    expect(wire.ok).toBe(true);
    if (!wire.ok) return;
    expect(verifyProof(header.stateRoot, k, p.value ?? null, wire.value)).toBe(true);
    const absent = key(Prefix.Actor, 999);
    const q = chain.stateProof(absent);
    expect(q.value).toBeUndefined();
    expect(verifyProof(header.stateRoot, absent, null, q.proof)).toBe(true);
    expect(verifyProof(header.stateRoot, k, null, q.proof)).toBe(false);
    const m = chain.stateProof(META_KEY);
    expect(verifyProof(header.stateRoot, META_KEY, m.value as Uint8Array, m.proof)).toBe(true);
  });

  it("the LMDB chain keeps its trie across a restart and gives the same roots as the memory chain", async () => {
    const path = mkdtempSync(join(tmpdir(), "coreplay-state-root-"));
    dirs.push(path);
    const mem = setup(1, 1000n, newChain(createMemoryStorage()));
    let storage = createLmdbStorage({ path });
    const disk = setup(1, 1000n, newChain(storage));
    expect(disk.chain.head().header.stateRoot).toEqual(mem.chain.head().header.stateRoot);
    await storage.close();
    storage = createLmdbStorage({ path });
    const again = newChain(storage);
    for (const c of [mem.chain, again])
      block(c, [tx(c, bob, { tag: "Post", value: { actor: mem.ids[0], data: bytes("x") } })]);
    expect(again.head().header.stateRoot).toEqual(mem.chain.head().header.stateRoot);
    expect(again.head().hash).toEqual(mem.chain.head().hash);
    await storage.close();
  });
});
