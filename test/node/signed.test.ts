import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTx, type TxCall, TxError, txHash } from "../../src/chain/index.ts";
import { toHex } from "../../src/codec/bytes.ts";
import type { Hash } from "../../src/codec/ids.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

/** Settles to the error, or "pending" if the promise has not settled within a few event-loop turns. */
async function state<T>(p: Promise<T>): Promise<T | TxError | "pending"> {
  const pending = new Promise<"pending">((ok) => setTimeout(() => ok("pending"), 30));
  return Promise.race([p.catch((e: TxError) => e), pending]);
}

describe("node: client-signed transactions (submitSigned)", () => {
  let node: CoreplayNode;
  const key = devKeypair(5);
  const to = devKeypair(8).publicKey;
  const transfer = (nonce: bigint, amount = 1n) =>
    signTx(key, { nonce, call: { tag: "Transfer", value: { to, amount } } }, node.chain.config);
  beforeAll(async () => {
    node = await createNode({
      blockTime: "manual",
      validators: 1,
      signatureWorkers: 2,
      engine: createWasmEngine(),
    });
  });
  afterAll(async () => {
    await node.stop();
  });

  it("includes every transaction submitted before produceBlock, verified on the workers, in nonce order", async () => {
    const n0 = node.chain.nonceOf(key.publicKey);
    const before = node.chain.balanceOf(to);
    // 300: batches above the in-thread threshold, so the workers verify them; submitted in reverse
    const txs = Array.from({ length: 300 }, (_, i) => transfer(n0 + BigInt(i)));
    const admitted: Hash[] = [];
    const done = [...txs].reverse().map((b) => node.submitSigned(b, (h) => admitted.push(h)));
    const block = await node.produceBlock(); // in the same event-loop turn: waits for verification
    const out = await Promise.all(done);
    expect(out.every((r) => r.block === block.number)).toBe(true);
    expect(new Set(out.map((r) => toHex(r.hash)))).toEqual(new Set(txs.map((t) => toHex(txHash(t)))));
    expect(admitted).toHaveLength(300);
    expect(node.chain.balanceOf(to)).toBe(before + 300n);
    expect(node.chain.nonceOf(key.publicKey)).toBe(n0 + 300n);
    expect(block.extrinsics).toBe(300);
  });

  it("refuses malformed bytes, a bad signature and a stale nonce at once, without a block", async () => {
    const head = node.chain.head().number;
    const n = node.chain.nonceOf(key.publicKey);
    expect(await state(node.submitSigned(Uint8Array.of(0, 1, 2)))).toMatchObject({ code: "TX_MALFORMED" });
    const forged = transfer(n);
    forged[forged.length - 1]! ^= 1;
    const bad = await state(node.submitSigned(forged));
    expect(bad).toBeInstanceOf(TxError);
    expect(bad).toMatchObject({ code: "TX_BAD_SIGNATURE" });
    expect(await state(node.submitSigned(transfer(n - 1n)))).toMatchObject({ code: "TX_STALE_NONCE" });
    expect(node.chain.head().number).toBe(head);
    // the forged transaction was never trusted: the genuine one with its nonce still goes in
    const good = node.submitSigned(transfer(n));
    await node.produceBlock();
    expect((await good).block).toBe(head + 1);
    expect(node.chain.nonceOf(key.publicKey)).toBe(n + 1n);
  });

  it("keeps a future nonce in the pool until the missing one arrives", async () => {
    const n = node.chain.nonceOf(key.publicKey);
    const later = node.submitSigned(transfer(n + 1n));
    await node.produceBlock();
    expect(await state(later)).toBe("pending");
    expect(node.chain.nonceOf(key.publicKey)).toBe(n);
    const first = node.submitSigned(transfer(n));
    await node.produceBlock();
    const [a, b] = await Promise.all([first, later]);
    expect(a.block).toBe(b.block);
    expect(node.chain.nonceOf(key.publicKey)).toBe(n + 2n);
  });

  it("puts a transaction after a refused one of its signer back to wait for the missing nonce", async () => {
    const n = node.chain.nonceOf(key.publicKey);
    const tooMuch = node.submitSigned(transfer(n, 10n ** 30n)); // more than the balance
    const next = node.submitSigned(transfer(n + 1n));
    await node.produceBlock();
    expect(await state(tooMuch)).toMatchObject({ code: "TX_INSUFFICIENT_FUNDS" });
    expect(await state(next)).toBe("pending");
    const fill = node.submitSigned(transfer(n));
    await node.produceBlock();
    await Promise.all([fill, next]);
    expect(node.chain.nonceOf(key.publicKey)).toBe(n + 2n);
  });

  it("mixes with dev-signed intents of other signers in one block", async () => {
    const n = node.chain.nonceOf(key.publicKey);
    const dev = node.submit({ tag: "Transfer", value: { to, amount: 2n } } as TxCall);
    const mine = node.submitSigned(transfer(n));
    await node.produceBlock();
    const [d, m] = await Promise.all([dev, mine]);
    expect(d.block).toBe(m.block);
  });
});
