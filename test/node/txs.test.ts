import { afterAll, describe, expect, it } from "vitest";
import type { TxCall } from "../../src/chain/index.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

describe("node: transactions of a block", () => {
  let node: CoreplayNode | undefined;
  afterAll(async () => {
    await node?.stop();
  });

  it("signs and verifies a large block on the signature workers; an unencodable call is refused alone", async () => {
    node = await createNode({
      blockTime: "manual",
      validators: 1,
      signatureWorkers: 2,
      engine: createWasmEngine(),
    });
    const to = devKeypair(7).publicKey;
    const before = node.chain.balanceOf(to);
    const good = Array.from({ length: 300 }, () =>
      node!.submit({ tag: "Transfer", value: { to, amount: 1n } }),
    );
    const bad = node.submit({ tag: "Nope", value: {} } as unknown as TxCall).catch((e: unknown) => e);
    const late = node.submit({ tag: "Transfer", value: { to, amount: 1n } });
    await node.produceBlock();
    expect(await bad).toMatchObject({ code: "TX_MALFORMED" });
    const done = await Promise.all([...good, late]);
    expect(done.every((r) => typeof r.fee === "bigint")).toBe(true);
    expect(node.chain.balanceOf(to)).toBe(before + 301n);
    // consecutive nonces: the refused call took none
    expect(node.chain.nonceOf(devKeypair(0).publicKey)).toBe(301n);
    expect(node.chain.block(node.chain.head().number)?.txs).toHaveLength(301);
  });
});
