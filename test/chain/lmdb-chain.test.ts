/** The chain on LMDB: one transaction per block, so restarting continues from the last whole block. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLmdbStorage, type Storage } from "../../src/chain/index.ts";
import type { AccountId } from "../../src/codec/ids.ts";
import {
  alice,
  block,
  bob,
  bytes,
  GENESIS_BALANCE,
  makePov,
  newChain,
  nextSlab,
  setup,
  tx,
} from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "coreplay-chain-"));
  dirs.push(d);
  return d;
};

describe("chain on LMDB", () => {
  it("reopens at the same head with accounts, actors, slabs, pigeonholes and the pool intact", async () => {
    const path = tmp();
    const storage = createLmdbStorage({ path });
    const { chain, ids } = setup(1, 1000n, newChain(storage));
    block(chain, [tx(chain, bob, { tag: "Post", value: { actor: ids[0], data: bytes("kept") } })]);
    const s1 = nextSlab(chain, ids[0], "a");
    const s2 = nextSlab(chain, ids[0], "a", s1);
    block(chain, [], [makePov([s1])]);
    block(chain, [], [makePov([nextSlab(chain, ids[0], "b", s2)])]); // waits for n+2
    const head = chain.head();
    const snapshot = {
      actor: chain.actor(ids[0]),
      slab: chain.slab(ids[0]),
      alice: chain.account(alice.publicKey),
      ph: chain.pigeonhole(ids[0]),
      pool: chain.pool(),
      supply: chain.supply(),
      genesis: chain.genesisHash,
    };
    await storage.close();

    const again = createLmdbStorage({ path });
    const reopened = newChain(again);
    expect(reopened.head()).toEqual(head);
    expect(reopened.genesisHash).toEqual(snapshot.genesis);
    expect(reopened.actor(ids[0])).toEqual(snapshot.actor);
    expect(reopened.slab(ids[0])).toEqual(snapshot.slab);
    expect(reopened.account(alice.publicKey)).toEqual(snapshot.alice);
    expect(reopened.pigeonhole(ids[0])).toEqual(snapshot.ph);
    expect(reopened.pool()).toEqual(snapshot.pool);
    expect(reopened.supply()).toEqual(snapshot.supply);
    // and it goes on: the pooled n+3 canonicalises once n+2 arrives
    const r = block(reopened, [], [makePov([s2])]);
    expect(r.number).toBe(head.number + 1);
    expect(r.canonicalised.length).toBe(2);
    expect(reopened.block(r.hash)?.header.parent).toEqual(head.hash);
    await again.close();
  });

  it("a block that fails part-way writes nothing, not even its applied transactions", async () => {
    const inner = createLmdbStorage({ path: tmp() });
    // a storage whose writes start failing on demand, like a full disk in the middle of a block
    let failAfter = Number.POSITIVE_INFINITY;
    const storage: Storage = {
      ...inner,
      get: (k) => inner.get(k),
      scan: (p) => inner.scan(p),
      close: () => inner.close(),
      transaction: (fn) =>
        inner.transaction((kv) =>
          fn({
            ...kv,
            get: (k) => kv.get(k),
            scan: (p) => kv.scan(p),
            del: (k) => kv.del(k),
            put(k, v) {
              if (failAfter-- <= 0) throw new Error("disk full");
              kv.put(k, v);
            },
          }),
        ),
    };
    const chain = newChain(storage);
    const head = chain.head();
    const t = tx(chain, alice, { tag: "Transfer", value: { to: bob.publicKey, amount: 5n } });
    failAfter = 3; // the transaction's writes go through, the block's header does not
    expect(() => chain.applyBlock({ txs: [t], author: alice.publicKey })).toThrow("disk full");
    failAfter = Number.POSITIVE_INFINITY;
    expect(chain.head()).toEqual(head);
    expect(chain.nonceOf(alice.publicKey)).toBe(0n);
    expect(chain.balanceOf(bob.publicKey)).toBe(GENESIS_BALANCE);
    expect(chain.block(head.number + 1)).toBeUndefined();
    // the same transaction is still good afterwards
    expect(block(chain, [t]).txs[0].result.ok).toBe(true);
    await storage.close();
  });

  it("refuses a block author that is not an account id", () => {
    const chain = newChain();
    expect(() => chain.applyBlock({ txs: [], author: new Uint8Array(3) as AccountId })).toThrow(
      expect.objectContaining({ code: "INVALID_ACCOUNT_ID" }),
    );
    expect(chain.head().number).toBe(0);
  });
});
