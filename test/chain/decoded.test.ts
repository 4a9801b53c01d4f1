/** BlockInput.decoded: a caller's own decoding of the transactions stands in for decoding them again. */
import { describe, expect, it } from "vitest";
import { decodeTxUnverified, forgetVerifiedTxs } from "../../src/chain/index.ts";
import { alice, bob, collator, setup, tx } from "./helpers.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("applyBlock with the transactions already decoded", () => {
  it("makes the same block, results and state as decoding them itself", () => {
    const make = () => {
      const s = setup(2);
      const txs = [
        tx(s.chain, alice, { tag: "Call", value: { actor: s.ids[0]!, input: Uint8Array.of(1) } }),
        tx(
          s.chain,
          alice,
          { tag: "Transfer", value: { to: bob.publicKey, amount: 5n } },
          s.chain.nonceOf(alice.publicKey) + 1n,
        ),
        // refused: a nonce from the future, and bytes that do not decode
        tx(s.chain, bob, { tag: "Transfer", value: { to: alice.publicKey, amount: 1n } }, 7n),
        Uint8Array.of(1, 2, 3),
      ];
      return { ...s, txs };
    };
    const a = make();
    const b = make();
    forgetVerifiedTxs(); // both blocks check every signature themselves
    const plain = a.chain.applyBlock({ txs: a.txs, author: collator.publicKey });
    forgetVerifiedTxs();
    const decoded = b.txs.map((t) => {
      const d = decodeTxUnverified(t);
      return d.ok ? d.value : undefined;
    });
    const given = b.chain.applyBlock({ txs: b.txs, decoded, author: collator.publicKey });
    expect(hex(given.hash)).toBe(hex(plain.hash));
    expect(given.txs.map((t) => [hex(t.hash), t.result.ok])).toEqual(
      plain.txs.map((t) => [hex(t.hash), t.result.ok]),
    );
    expect(given.txs.map((t) => t.result.ok)).toEqual([true, true, false, false]);
    expect(b.chain.nonceOf(alice.publicKey)).toBe(a.chain.nonceOf(alice.publicKey));
  });

  it("still checks each signature against the bytes", () => {
    const s = setup(1);
    const good = tx(s.chain, alice, { tag: "Call", value: { actor: s.ids[0]!, input: Uint8Array.of(1) } });
    const bad = good.slice();
    bad[bad.length - 1]! ^= 1; // the signature's last byte
    const d = decodeTxUnverified(bad);
    if (!d.ok) throw d.error;
    forgetVerifiedTxs();
    const r = s.chain.applyBlock({ txs: [bad], decoded: [d.value], author: collator.publicKey });
    expect(r.txs[0]!.result.ok).toBe(false);
    expect(!r.txs[0]!.result.ok && r.txs[0]!.result.error.code).toBe("TX_BAD_SIGNATURE");
  });
});
