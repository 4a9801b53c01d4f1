import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTx } from "../../src/chain/index.ts";
import { toHex } from "../../src/codec/bytes.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import { createNodeApi } from "../../src/node/api.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { createMethods } from "../../src/rpc/methods.ts";
import { createRpcServer, type RpcServer } from "../../src/rpc/server.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { counterProgram } from "../node/programs.ts";

const run = promisify(execFile);
/** Runs the CLI; its JSON output and exit code. */
async function cli(...args: string[]): Promise<{ json: Record<string, unknown>; code: number }> {
  try {
    const { stdout } = await run(process.execPath, ["bin/coreplay.js", ...args, "--json"]);
    return { json: JSON.parse(stdout), code: 0 };
  } catch (e) {
    const r = e as { stdout: string; code: number };
    return { json: JSON.parse(r.stdout), code: r.code };
  }
}

describe("cli: coreplay tx (sign with your own key, submit)", () => {
  let node: CoreplayNode;
  let server: RpcServer;
  let actor: number;
  const key = devKeypair(4);
  beforeAll(async () => {
    node = await createNode({ blockTime: "instant", validators: 1, engine: createWasmEngine() });
    server = await createRpcServer({ port: 0, methods: createMethods(createNodeApi(node)) });
    const code = await node.submit({ tag: "Upload", value: { blob: counterProgram() } });
    const made = await node.submit({
      tag: "Create",
      value: { codeHash: code.codeHash!, args: new Uint8Array(), endowment: 10n ** 20n },
    });
    actor = made.actor as number;
  });
  afterAll(async () => {
    await server.close();
    await node.stop();
  });

  it("signs a call with a seed (or a seed file) at the account's next nonce and waits for its block", async () => {
    const n = node.chain.nonceOf(key.publicKey);
    const seed = toHex(key.secretKey);
    const r = await cli("tx", String(actor), "0x01", "--seed", seed, "--wait", "--url", server.url);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ status: "included" });
    const file = join(mkdtempSync(join(tmpdir(), "cp-seed-")), "alice.seed");
    writeFileSync(file, `${seed}\n`);
    const r2 = await cli("tx", String(actor), "0x01", "--seed", file, "--wait", "--url", server.url);
    expect(r2.json).toMatchObject({ status: "included" });
    expect(node.chain.nonceOf(key.publicKey)).toBe(n + 2n);
    // the call ran: its receipt is keyed by the transaction hash
    await node.waitReceipt(Buffer.from((r2.json.hash as string).slice(2), "hex") as never, 20_000);
  });

  it("submits raw signed bytes, and reports refusals with the chain's code", async () => {
    const n = node.chain.nonceOf(key.publicKey);
    const call = { tag: "Call" as const, value: { actor: actor as never, input: Uint8Array.of(0) } };
    const raw = toHex(signTx(key, { nonce: n, call }, node.chain.config));
    const ok = await cli("tx", "--raw", raw, "--url", server.url);
    expect(ok.json.hash).toMatch(/^0x[0-9a-f]{64}$/);
    const stale = await cli("tx", "--raw", raw, "--url", server.url);
    expect(stale.code).toBe(1);
    expect(stale.json).toMatchObject({ error: { code: "TX_STALE_NONCE" } });
    const bad = await cli("tx", String(actor), "0x01", "--seed", "0x12", "--url", server.url);
    expect(bad.json).toMatchObject({ error: { code: "CLI_BAD_SEED" } });
  });
});
