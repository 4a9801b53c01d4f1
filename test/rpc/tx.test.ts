import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTx } from "../../src/chain/index.ts";
import { toHex } from "../../src/codec/bytes.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import { createNodeApi } from "../../src/node/api.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { type Client, createClient } from "../../src/rpc/client.ts";
import { RPC_ERROR, type RpcError } from "../../src/rpc/errors.ts";
import { createMethods } from "../../src/rpc/methods.ts";
import { createRpcServer, type RpcServer } from "../../src/rpc/server.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

/** The RpcError a promise rejects with. */
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: RpcError) => e,
  );

describe("rpc: tx_v1_submit and tx_v1_status on a real node", () => {
  let node: CoreplayNode;
  let server: RpcServer;
  let client: Client;
  const key = devKeypair(6);
  const to = devKeypair(9).publicKey;
  const transfer = (nonce: bigint, amount = 1n) =>
    signTx(key, { nonce, call: { tag: "Transfer", value: { to, amount } } }, node.chain.config);
  beforeAll(async () => {
    node = await createNode({
      blockTime: "manual",
      validators: 1,
      signatureWorkers: 1,
      engine: createWasmEngine(),
    });
    server = await createRpcServer({ port: 0, methods: createMethods(createNodeApi(node)) });
    client = createClient(server.url);
  });
  afterAll(async () => {
    await client.close();
    await server.close();
    await node.stop();
  });

  it("answers with the hash once admitted; the status follows the transaction into a block", async () => {
    const n = node.chain.nonceOf(key.publicKey);
    const bytes = transfer(n);
    const hash = await client.tx.submit(bytes);
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await client.tx.status(hash)).toEqual({ hash, status: "pending" });
    // the next nonce counts the pending transaction; the fee rule is the chain's
    expect(await client.tx.prepare(toHex(key.publicKey))).toEqual({
      nonce: (n + 1n).toString(),
      baseFee: node.chain.config.baseFee.toString(),
      feePerByte: node.chain.config.feePerByte.toString(),
    });
    const block = await client.dev.newBlock();
    expect(await client.tx.status(hash)).toEqual({ hash, status: "included", block: block.number });
    expect(node.chain.nonceOf(key.publicKey)).toBe(n + 1n);
  });

  it("refuses malformed, forged and stale transactions with -32007 and the chain's code", async () => {
    const n = node.chain.nonceOf(key.publicKey);
    const malformed = await refusal(client.tx.submit("0x0102"));
    expect(malformed).toMatchObject({ rpcCode: RPC_ERROR.Rejected, code: "TX_MALFORMED" });
    const forged = transfer(n);
    forged[forged.length - 1]! ^= 1;
    expect(await refusal(client.tx.submit(forged))).toMatchObject({
      rpcCode: RPC_ERROR.Rejected,
      code: "TX_BAD_SIGNATURE",
    });
    expect(await refusal(client.tx.submit(transfer(n - 1n)))).toMatchObject({ code: "TX_STALE_NONCE" });
    expect(await refusal(client.request("tx_v1_submit", ["nothex"]))).toMatchObject({
      rpcCode: RPC_ERROR.InvalidParams,
    });
    expect(await refusal(client.tx.status(toHex(new Uint8Array(32))))).toMatchObject({ code: "UNKNOWN_TX" });
  });

  it("reports a transaction refused by its block, with the chain's code", async () => {
    const n = node.chain.nonceOf(key.publicKey);
    const hash = await client.tx.submit(transfer(n, 10n ** 30n));
    const block = await client.dev.newBlock();
    expect(await client.tx.status(hash)).toMatchObject({
      status: "refused",
      block: block.number,
      error: { code: "TX_INSUFFICIENT_FUNDS" },
    });
    expect(await client.methods()).toEqual(expect.arrayContaining(["tx_v1_submit", "tx_v1_status"]));
  });
});
