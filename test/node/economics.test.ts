/**
 * Issue 13 §4 on a real node: transaction fees go to the block's author and each actor's `payout()` to
 * the collator that built its PoV, both visible in balances and block summaries; nothing is burned.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActorId } from "../../src/codec/ids.ts";
import { collatorAccount } from "../../src/node/accounts.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

/** Every play pays its collator 5; `call` replies nothing. */
const payerWat = `(module
  (memory (export "memory") 1)
  (func (export "main"))
  (func (export "call") (param $origin i64) (result i32) (i32.const 0))
  (func (export "payout") (param $now i64) (result i64) (i64.const 5)))`;

describe("fees and payouts pay the collators (real node)", () => {
  let node: CoreplayNode;
  let actor: ActorId;
  const balanceOfCollators = () =>
    [0, 1, 2].reduce((n, i) => n + node.chain.balanceOf(collatorAccount(i)), 0n);
  beforeAll(async () => {
    node = await createNode({ blockTime: "manual", validators: 1, collators: 3, engine: createWasmEngine() });
    const up = node.submit({ tag: "Upload", value: { blob: programFromWat(payerWat, { name: "payer" }) } });
    await node.produceBlock();
    const { codeHash } = await up;
    const made = node.submit({
      tag: "Create",
      value: { codeHash: codeHash!, args: new Uint8Array(), endowment: 1000n },
    });
    await node.produceBlock();
    actor = (await made).actor as ActorId;
  }, 60_000);
  afterAll(async () => {
    await node.stop();
  });

  it("a transaction's fee goes to the block's author; issuance stays the same", async () => {
    const supply = node.chain.supply();
    const author = node.chain.balanceOf(collatorAccount(0));
    const t = node.submit({ tag: "Transfer", value: { to: collatorAccount(7), amount: 1n } });
    const b = await node.produceBlock();
    const { fee } = await t;
    expect(fee).toBeGreaterThan(0n);
    expect(b.fees).toBe(fee.toString());
    expect(node.chain.balanceOf(collatorAccount(0)) - author).toBeGreaterThanOrEqual(fee);
    expect(node.chain.supply()).toEqual(supply);
  });

  it("an actor's payout goes from its balance to the collator of its PoV", async () => {
    const before = { actor: node.chain.balanceOf(actor), collators: balanceOfCollators() };
    const call = node.submit({ tag: "Call", value: { actor, input: new Uint8Array() } });
    const b1 = await node.produceBlock();
    await call;
    const b2 = await node.produceBlock(); // the PoV that runs the call
    const povs = [...b1.povs, ...b2.povs].filter((p) => p.actors.includes(actor));
    expect(povs.length).toBeGreaterThan(0);
    for (const p of povs) expect(p.payout).toBe("5");
    const paid = 5n * BigInt(povs.length);
    expect(before.actor - node.chain.balanceOf(actor)).toBe(paid);
    const fees = BigInt(b1.fees ?? "0") + BigInt(b2.fees ?? "0");
    expect(balanceOfCollators() - before.collators).toBe(paid + fees);
  });
});
