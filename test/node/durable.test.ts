/**
 * Issue 13 §2: every call can be followed from the moment it is sent (its id at admission, then
 * queued → canonicalised or dropped with a reason), and admitted means durable: a real `coreplay dev`
 * killed with SIGKILL between admission and the next block finds every acknowledged call after restart.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainConfig, signTx, txHash } from "../../src/chain/index.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import { createNodeApi } from "../../src/node/api.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import type { NodeApi } from "../../src/rpc/types.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { counterProgram } from "./programs.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "coreplay.js");
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

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
}

describe("admitted means durable (real coreplay dev, SIGKILL)", () => {
  let dataDir: string;
  let port: number;
  let child: ChildProcess | undefined;
  let log = "";
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${port}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const j = (await res.json()) as { result?: T; error?: unknown };
    if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
    return j.result as T;
  };
  async function start(): Promise<void> {
    const c = spawn(
      process.execPath,
      [
        BIN,
        "dev",
        "--port",
        String(port),
        "--data-dir",
        dataDir,
        "--block-time",
        "manual",
        "--no-examples",
      ].concat(["--validators", "1", "--cores", "2", "--quiet"]),
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    child = c;
    c.stderr!.on("data", (d) => {
      log += d;
    });
    await new Promise<void>((ok, fail) => {
      let buf = "";
      const t = setTimeout(() => fail(new Error(`node did not start:\n${log}`)), 120_000);
      c.stdout!.on("data", (d) => {
        buf += d;
        if (buf.includes('"rpc"')) {
          clearTimeout(t);
          ok();
        }
      });
      c.once("exit", (code) => fail(new Error(`node exited (${code}):\n${log}`)));
    });
  }
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "pool-econ-durable-"));
    port = await freePort();
    await start();
  }, 130_000);
  afterAll(() => {
    child?.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
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
    const killed = new Promise((ok) => child!.once("exit", ok));
    child!.kill("SIGKILL");
    await killed;

    await start();
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
