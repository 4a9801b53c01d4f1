/**
 * Issue 13 §2: the pool admits only what a signer can pay for, bounds each signer's share and its
 * future nonces (with an expiry), and a transaction refused in a block for its fee is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainConfig, minFee, signTx, type TxError, txHash } from "../../src/chain/index.ts";
import { toHex } from "../../src/codec/bytes.ts";
import type { AccountId } from "../../src/codec/ids.ts";
import { devKeypair, type Keypair } from "../../src/crypto/ed25519.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { createTxPool, type TxOutcome } from "../../src/node/txpool.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

const config = chainConfig({});
const to = devKeypair(8).publicKey;
const transfer = (k: Keypair, nonce: bigint, amount = 1n) =>
  signTx(k, { nonce, call: { tag: "Transfer", value: { to, amount } } }, config);
const FEE = minFee(config, transfer(devKeypair(0), 0n).length);

function pool(
  balances: Map<string, bigint>,
  o: { capacity?: number; perSigner?: number; futureTtl?: number } = {},
) {
  const p = createTxPool({
    verify: async (_txs, hashes) => hashes.map(() => true),
    nonceOf: () => 0n,
    balanceOf: (a: AccountId) => balances.get(toHex(a)) ?? 0n,
    ...o,
  });
  const outcomes = new Map<string, TxOutcome>();
  const add = (bytes: Uint8Array) => p.addSigned(bytes, (r) => outcomes.set(toHex(txHash(bytes)), r));
  return { p, add, outcomes };
}

describe("tx pool admission (issue 13 §2)", () => {
  it("refuses a signer that cannot pay the fee, counting the fees it already owes", () => {
    const rich = devKeypair(20);
    const poor = devKeypair(21);
    const { add } = pool(new Map([[toHex(rich.publicKey), FEE * 2n + FEE / 2n]]));
    expect(add(transfer(poor, 0n))).toMatchObject({ code: "TX_INSUFFICIENT_FUNDS" });
    expect(add(transfer(rich, 0n))).toBeUndefined();
    expect(add(transfer(rich, 1n))).toBeUndefined();
    expect(add(transfer(rich, 2n))).toMatchObject({ code: "TX_INSUFFICIENT_FUNDS" });
  });

  it("gives each signer a bounded share: a full pool still admits a signer with nothing pending", () => {
    const keys = Array.from({ length: 6 }, (_, i) => devKeypair(30 + i));
    const { p, add } = pool(new Map(keys.map((k) => [toHex(k.publicKey), 10n ** 18n])), {
      capacity: 16,
      perSigner: 4,
    });
    for (let n = 0n; n < 4n; n++) expect(add(transfer(keys[0]!, n))).toBeUndefined();
    expect(add(transfer(keys[0]!, 4n))).toMatchObject({ code: "TX_SIGNER_LIMIT" });
    for (const k of keys.slice(1, 4))
      for (let n = 0n; n < 4n; n++) expect(add(transfer(k, n))).toBeUndefined();
    expect(p.size).toBe(16);
    // full: those already holding a share wait; a newcomer is admitted
    expect(add(transfer(keys[3]!, 4n))).toMatchObject({ code: "TX_QUEUE_FULL" });
    expect(add(transfer(keys[4]!, 0n))).toBeUndefined();
  });

  it("bounds a signer's future nonces and expires those that wait too long", async () => {
    const k = devKeypair(40);
    const { p, add, outcomes } = pool(new Map([[toHex(k.publicKey), 10n ** 18n]]), { futureTtl: 2 });
    expect(add(transfer(k, 5000n))).toMatchObject({ code: "TX_SIGNER_LIMIT" });
    const gapped = transfer(k, 3n);
    expect(add(gapped)).toBeUndefined();
    await p.verified();
    for (let i = 0; i < 3; i++) expect(p.take(10, () => 0n)).toEqual([]);
    expect(outcomes.get(toHex(txHash(gapped)))).toMatchObject({ ok: false, error: { code: "TX_EXPIRED" } });
    expect(p.size).toBe(0);
  });
});

describe("a transaction refused in a block for its fee is gone (real node)", () => {
  let node: CoreplayNode;
  beforeAll(async () => {
    node = await createNode({
      blockTime: "manual",
      validators: 1,
      signatureWorkers: 0,
      engine: createWasmEngine(),
    });
  });
  afterAll(async () => {
    await node.stop();
  });

  it("is refused once, never retried, and the pool is empty after it", async () => {
    const k = devKeypair(41);
    const funded = node.submit({ tag: "Transfer", value: { to: k.publicKey, amount: FEE * 3n } });
    await node.produceBlock();
    await funded;
    // admission sees enough for both fees; the first spends what the second needed
    const first = node.submitSigned(transfer(k, 0n, FEE));
    const second = node.submitSigned(transfer(k, 1n));
    // and one after it, which now waits for a nonce that never comes
    const third = node.submitSigned(transfer(k, 2n)).catch((e: TxError) => e);
    const settled = Promise.allSettled([first, second]);
    const b = await node.produceBlock();
    const [a, r] = await settled;
    expect(a.status).toBe("fulfilled");
    expect(r.status === "rejected" && (r.reason as TxError).code).toBe("TX_INSUFFICIENT_FUNDS");
    expect(b.extrinsics).toBe(1);
    const again = await node.produceBlock();
    expect(again.extrinsics).toBe(0);
    expect(node.chain.nonceOf(k.publicKey)).toBe(1n);
    for (let i = 0; i < 33; i++) await node.produceBlock();
    expect(await third).toMatchObject({ code: "TX_EXPIRED" });
  }, 60_000);
});
