/**
 * Issue 13 §2: every call can be followed from the moment it is sent (its id at admission, then
 * queued → canonicalised or dropped with a reason), and admitted means durable: a real `coreplay dev`
 * killed with SIGKILL between admission and the next block finds every acknowledged call after restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainConfig, signTx, txHash } from "../../src/chain/index.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import { createNodeApi } from "../../src/node/api.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import type { NodeApi } from "../../src/rpc/types.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { type ChildNode, childNode } from "../e2e/child-node.ts";
import { counterProgram } from "./programs.ts";

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

describe("call lifecycle: the id at admission, then queued, canonicalised or dropped", () => {
  let node: CoreplayNode;
  let api: NodeApi;
  let actor: number;
  beforeAll(async () => {
    node = await createNode({
      blockTime: "manual",
      validators: 1,
      engine: createWasmEngine(),
      chain: { callQueueCapacity: 2 },
    });
    api = createNodeApi(node);
    const up = api.uploadCode(counterProgram());
    await node.produceBlock();
    const { codeHash } = await up;
    const made = api.createActor({ codeHash, args: new Uint8Array() });
    await node.produceBlock();
    actor = (await made).actor;
    await node.produceBlock();
  }, 60_000);
  afterAll(async () => {
    await node.stop();
  });

  it("a call has its id before any block, and a status at every step", async () => {
    const { callId } = await api.submitCall(actor, Uint8Array.of(1));
    expect(api.receipt(callId)).toEqual({ callId, actor, status: "queued" });
    await node.produceBlock(); // the transaction: the call waits in the actor's queue
    expect(api.receipt(callId)?.status).toBe("queued");
    await node.produceBlock(); // a PoV runs it
    expect(api.receipt(callId)).toMatchObject({ status: "canonicalised", ok: true });
  });

  it("a call refused in its block is dropped with the chain's reason", async () => {
    const ids = await Promise.all([1, 2, 3].map(() => api.submitCall(actor, Uint8Array.of(1))));
    await node.produceBlock(); // the queue holds 2: the third is refused
    const statuses = ids.map(({ callId }) => api.receipt(callId));
    expect(statuses.map((s) => s?.status)).toEqual(["queued", "queued", "dropped"]);
    expect(statuses[2]?.reason).toMatchObject({ code: "TX_QUEUE_FULL" });
    await node.produceBlock();
    expect(ids.map(({ callId }) => api.receipt(callId)?.status)).toEqual([
      "canonicalised",
      "canonicalised",
      "dropped",
    ]);
  });

  it("a postcard has an id too, canonicalised once a block delivers it", async () => {
    const { callId } = await api.send(actor, Uint8Array.of(7));
    expect(api.receipt(callId)?.status).toBe("queued");
    await node.produceBlock();
    expect(api.receipt(callId)).toMatchObject({ status: "canonicalised", actor });
  });
});

describe("admitted means durable (real coreplay dev, SIGKILL)", () => {
  let node: ChildNode;
  const rpc = <T>(method: string, params: unknown[] = []) => node.rpc<T>(method, params);
  beforeAll(async () => {
    node = await childNode({
      prefix: "pool-econ-durable-",
      blockTime: "manual",
      args: ["--validators", "1", "--cores", "2", "--quiet"],
      startMs: 120_000,
    });
    await node.start();
  }, 130_000);
  afterAll(() => {
    node?.close();
  });

  it("every call and postcard acknowledged before the kill is canonicalised after the restart", async () => {
    // a counter actor, in manual blocks
    const up = rpc<{ codeHash: string }>("code_v1_upload", [hex(counterProgram())]);
    await rpc("dev_v1_newBlock");
    const { codeHash } = await up;
    const made = rpc<{ actor: number }>("actor_v1_create", [codeHash]);
    await rpc("dev_v1_newBlock");
    const { actor } = await made;
    await rpc("dev_v1_newBlock");

    // acknowledged, then killed before any block takes them
    const calls = await Promise.all(
      Array.from({ length: 5 }, () => rpc<{ callId: string }>("actor_v1_call", [actor, "0x01"])),
    );
    const post = await rpc<{ callId: string }>("actor_v1_send", [actor, "0x07"]);
    // and a client-signed transaction, acknowledged with its hash
    const key = devKeypair(4);
    const to = devKeypair(6).publicKey;
    const signed = signTx(
      key,
      { nonce: 0n, call: { tag: "Transfer", value: { to, amount: 5n } } },
      chainConfig({}),
    );
    expect(await rpc<string>("tx_v1_submit", [hex(signed)])).toBe(hex(txHash(signed)));
    for (const { callId } of [...calls, post]) {
      expect((await rpc<{ status: string }>("actor_v1_receipt", [callId])).status).toBe("queued");
    }
    await node.kill();

    await node.start();
    for (let i = 0; i < 3; i++) await rpc("dev_v1_newBlock");
    const after = await Promise.all(
      calls.map(({ callId }) =>
        rpc<{ status: string; ok?: boolean; output?: string }>("actor_v1_receipt", [callId]),
      ),
    );
    expect(after.map((r) => r.status)).toEqual(calls.map(() => "canonicalised"));
    // each ran exactly once: the counter went 1..5
    const counts = after.map((r) => Buffer.from(r.output!.slice(2), "hex").readBigUInt64LE(0)).sort();
    expect(counts).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect((await rpc<{ status: string }>("actor_v1_receipt", [post.callId])).status).toBe("canonicalised");
    // the signed transaction was re-admitted and applied: the signer's next nonce is 1, none pending
    expect((await rpc<{ nonce: string }>("tx_v1_prepare", [hex(key.publicKey)])).nonce).toBe("1");
  }, 240_000);
});
