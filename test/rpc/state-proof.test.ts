/** state_v1_proof on a real node: a proof checks against the block header alone (DESIGN §11). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeProof, signTx, verifyProof } from "../../src/chain/index.ts";
import { key, Prefix } from "../../src/chain/storage.ts";
import { fromHex, toHex } from "../../src/codec/bytes.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import { createNodeApi } from "../../src/node/api.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { type Client, createClient } from "../../src/rpc/client.ts";
import type { RpcError } from "../../src/rpc/errors.ts";
import { createMethods } from "../../src/rpc/methods.ts";
import { createRpcServer, type RpcServer } from "../../src/rpc/server.ts";
import type { StateProofJson } from "../../src/rpc/types.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

describe("rpc: state_v1_proof", () => {
  let node: CoreplayNode;
  let server: RpcServer;
  let client: Client;
  const sender = devKeypair(6);
  const fresh = devKeypair(11).publicKey;
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

  const check = async (k: Uint8Array) => {
    const p = await client.request<StateProofJson>("state_v1_proof", [toHex(k)]);
    const header = await client.chain.block(p.block);
    expect(p.stateRoot).toBe(header.stateRoot);
    const proof = decodeProof(fromHex(p.encoded));
    expect(proof.ok).toBe(true);
    if (!proof.ok) throw proof.error;
    const value = p.value === null ? null : fromHex(p.value);
    return { value, ok: verifyProof(fromHex(header.stateRoot), k, value, proof.value) };
  };

  it("proves an account's value after a block, and an untouched account's absence, against the header", async () => {
    const acct = key(Prefix.Account, fresh);
    expect(await check(acct)).toEqual({ value: null, ok: true });
    await client.tx.submit(
      signTx(
        sender,
        {
          nonce: node.chain.nonceOf(sender.publicKey),
          call: { tag: "Transfer", value: { to: fresh, amount: 7n } },
        },
        node.chain.config,
      ),
    );
    const before = (await client.chain.head()).stateRoot;
    await client.dev.newBlock();
    const after = await client.chain.head();
    expect(after.stateRoot).not.toBe(before);
    const r = await check(acct);
    expect(r.ok).toBe(true);
    expect(r.value).not.toBeNull();
    // the same proof does not prove the value away
    const p = await client.request<StateProofJson>("state_v1_proof", [toHex(acct), after.number]);
    const proof = decodeProof(fromHex(p.encoded));
    expect(proof.ok && verifyProof(fromHex(after.stateRoot), acct, null, proof.value)).toBe(false);
  });

  it("refuses a block other than the head with UNKNOWN_BLOCK", async () => {
    const e = await client.request("state_v1_proof", [toHex(key(Prefix.Account, fresh)), 0]).then(
      () => undefined,
      (x: RpcError) => x,
    );
    expect(e?.code).toBe("UNKNOWN_BLOCK");
  });
});
