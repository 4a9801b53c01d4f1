import { execFile, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wrapProgram } from "../../src/build/index.ts";
import { toHex } from "../../src/codec/bytes.ts";
import { createNodeApi } from "../../src/node/api.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { createInterfaceMethods } from "../../src/rpc/interface-methods.ts";
import { createMethods } from "../../src/rpc/methods.ts";
import { createRpcServer, type RpcServer } from "../../src/rpc/server.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { counterProgram } from "../node/programs.ts";
import { buildFixture } from "../sdk/helpers.ts";

const run = promisify(execFile);
type Out = { json: Record<string, unknown>; stderr: string; code: number };
const last = (s: string) => JSON.parse(s.trim().split("\n").at(-1) ?? "null");

/** Runs the CLI with --json; its last JSON line, stderr and exit code. */
async function cli(...args: string[]): Promise<Out> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["bin/coreplay.js", ...args, "--json"]);
    return { json: last(stdout), stderr, code: 0 };
  } catch (e) {
    const r = e as { stdout: string; stderr: string; code: number };
    return { json: last(r.stdout), stderr: r.stderr, code: r.code };
  }
}

/** Runs the CLI with `input` on stdin. */
function cliStdin(input: string, ...args: string[]): Promise<Out> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, ["bin/coreplay.js", ...args, "--json"]);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => ok({ json: last(stdout), stderr, code: code ?? 1 }));
    p.stdin.end(input);
  });
}

describe("cli: coreplay call / tx by method name, with honest results", () => {
  let node: CoreplayNode;
  let server: RpcServer;
  let typed: number; // declares an interface (test/sdk/fixtures/assembly/typed.as.ts)
  let plain: number; // a WAT counter without one
  let host: string;
  beforeAll(async () => {
    const built = await buildFixture("typed");
    const blob = wrapProgram(built.wasm, { ...built.metadata, name: "typed" }); // callable by that name
    node = await createNode({ blockTime: "instant", validators: 1, engine: createWasmEngine() });
    const api = createNodeApi(node);
    server = await createRpcServer({ port: 0, methods: createMethods(api, createInterfaceMethods(api)) });
    host = server.url.replace(/^http:\/\//, "").replace(/\/$/, "");
    for (const b of [blob, counterProgram()]) {
      const code = await node.submit({ tag: "Upload", value: { blob: b } });
      const made = await node.submit({
        tag: "Create",
        value: { codeHash: code.codeHash!, args: new Uint8Array(), endowment: 10n ** 20n },
      });
      if (b === blob) typed = made.actor as number;
      else plain = made.actor as number;
    }
  }, 180_000);
  afterAll(async () => {
    await server.close();
    await node.stop();
  });

  it("calls by actor name and method name, value decoded, raw output beside it", async () => {
    const r = await cli("call", "typed", "add", "5", "--wait", "--url", server.url);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ok: true, value: "5", output: "0x0500000000000000" });
    expect(r.json.pov).toMatch(/^0x[0-9a-f]{64}$/); // the PoV that canonicalised it
    // the same actor by id, over ws:// and a bare host:port
    const ws = await cli("call", String(typed), "add", "1", "--wait", "--url", `ws://${host}`);
    expect(ws.json).toMatchObject({ ok: true, value: "6" });
    const bare = await cli("call", String(typed), "0x010100000000000000", "--wait", "--url", host);
    expect(bare.json).toMatchObject({ ok: true, value: "7" }); // hex input, still decoded by the interface
  }, 120_000);

  it("a failed call exits 1 with the decoded reason: actor error, trap, out of gas", async () => {
    const cases: Array<[string[], string, RegExp]> = [
      [["add", "0"], "Actor", /^n must be positive$/],
      [["addThenFail", "3"], "Actor", /^failed after writing$/],
      [["trap"], "Trap", /trapped/],
      [["spin"], "OutOfGas", /out of gas/],
      [["0x09"], "Actor", /^unknown method 9$/], // hex input: the SDK's own error text
    ];
    for (const [args, error, message] of cases) {
      const r = await cli("call", String(typed), ...args, "--wait", "--url", server.url);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.json, args.join(" ")).toMatchObject({ ok: false, error });
      expect(r.json.message as string, args.join(" ")).toMatch(message);
    }
    // addThenFail's write was undone
    const after = await cli("call", "typed", "add", "1", "--wait", "--url", server.url);
    expect(after.json).toMatchObject({ ok: true, value: "8" });
  }, 180_000);

  it("refuses what it cannot call, exit 1 with a typed code and a hint", async () => {
    const cases: Array<[string[], string]> = [
      [["call", "nobody", "add", "1"], "CLI_UNKNOWN_ACTOR"],
      [["call", String(typed), "nope"], "IFACE_UNKNOWN_METHOD"],
      [["call", String(typed), "add", "-1"], "IFACE_BAD_VALUE"],
      [["call", String(typed), "add"], "IFACE_BAD_VALUE"], // missing argument
      [["call", String(plain), "add", "1"], "CLI_NO_INTERFACE"],
      [["call", String(typed)], "CLI_MISSING_ARGS"],
      [["call", String(typed), "--data", "@/nonexistent/file"], "CLI_BAD_DATA"],
      [["call", "0", "0x00", "--url", "http://127.0.0.1:1"], "NODE_UNREACHABLE"],
      [["deploy", "README.md"], "BUILD_NOT_A_PROGRAM"],
      [["deploy", "no-such.cpl"], "CLI_NO_PROGRAM"],
    ];
    for (const [args, code] of cases) {
      const r = await cli(...args, ...(args.includes("--url") ? [] : ["--url", server.url]));
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.json, args.join(" ")).toMatchObject({ ok: false, error: { code } });
      expect(r.stderr, args.join(" ")).toMatch(/hint: /);
    }
  }, 180_000);

  it("reads call data from a file and from stdin", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cp-data-"));
    const file = join(dir, "input.hex");
    writeFileSync(file, "0x010200000000000000\n");
    const f = await cli("call", String(typed), "--data", `@${file}`, "--wait", "--url", server.url);
    expect(f.json).toMatchObject({ ok: true });
    // 60 KB of input through stdin (the chain's bound is 64 KiB; argv holds 128 KiB of hex at most)
    const big = `0x00${"00".repeat(60_000)}`;
    const s = await cliStdin(big, "call", String(plain), "--data", "-", "--wait", "--url", server.url);
    expect(s.json, s.stderr).toMatchObject({ ok: true });
    expect(s.code).toBe(0);
  }, 120_000);

  it("tx --wait reports the signed call's canonical result exactly as call --wait does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cp-key-"));
    const key = join(dir, "alice.key");
    const made = await cli("keys", "new", key);
    expect(made.json.publicKey).toMatch(/^0x[0-9a-f]{64}$/);
    expect((await cli("keys", "show", key)).json.publicKey).toBe(made.json.publicKey);
    await cli("set-balance", made.json.publicKey as string, String(10n ** 18n), "--url", server.url);
    const ok = await cli("tx", "typed", "add", "100", "--seed", key, "--wait", "--url", server.url);
    expect(ok.code).toBe(0);
    expect(ok.json).toMatchObject({ ok: true, output: expect.stringMatching(/^0x/), status: "included" });
    expect(ok.json.callId).toBe(ok.json.hash);
    const failed = await cli("tx", "typed", "add", "0", "--seed", key, "--wait", "--url", server.url);
    expect(failed.code).toBe(1);
    expect(failed.json).toMatchObject({ ok: false, error: "Actor", message: "n must be positive" });
    // tx_v1_status carries the receipt
    const s = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tx_v1_status", params: [failed.json.hash] }),
    }).then((r) => r.json() as Promise<{ result: { receipt: Record<string, unknown> } }>);
    expect(s.result.receipt).toMatchObject({
      status: "canonicalised",
      ok: false,
      error: "Actor",
      pov: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
    expect(toHex(new TextEncoder().encode("n must be positive"))).toBe(s.result.receipt.output);
  }, 180_000);

  it("the RPC reads, encodes and decodes by the interface (what the dashboard's call form uses)", async () => {
    const rpc = async (method: string, params: unknown[]) =>
      (await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      }).then((r) => r.json())) as {
        result?: Record<string, unknown>;
        error?: { data: { details: string } };
      };
    const iface = await rpc("actor_v1_interface", [typed]);
    expect((iface.result!.methods as Array<{ name: string }>).map((m) => m.name)).toContain("add");
    expect((await rpc("actor_v1_interface", [plain])).result).toBeNull();
    const enc = await rpc("actor_v1_encodeCall", [typed, "add", ["7"]]);
    expect(enc.result).toEqual({ input: "0x010700000000000000", method: "add" });
    const dec = await rpc("actor_v1_decodeResult", [
      typed,
      "add",
      { ok: true, output: "0x0700000000000000" },
    ]);
    expect(dec.result).toMatchObject({ ok: true, value: "7" });
    const err = await rpc("actor_v1_decodeResult", [
      typed,
      "add",
      { ok: false, error: "Actor", output: "0x6e6f" },
    ]);
    expect(err.result).toMatchObject({ ok: false, message: "no" });
    const bad = await rpc("actor_v1_encodeCall", [typed, "add", ["x"]]);
    expect(bad.error!.data.details).toMatch(/Argument n of add/);
  });

  it("call --trace prints the call tree of a dry run, then the real result", async () => {
    const r = await cli("call", String(typed), "trap", "--trace", "--wait", "--url", server.url);
    expect(r.json, JSON.stringify(r.json)).toMatchObject({ ok: false, error: "Trap" });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: "Trap" });
    const [frame] = r.json.trace as Array<{
      actor: number;
      result: string;
      events: Array<{ host: string; args: string }>;
    }>;
    expect(frame).toMatchObject({ actor: typed, result: "Trap" });
    expect(frame!.events).toContainEqual(
      expect.objectContaining({ host: "log", args: expect.stringMatching(/abort: deliberate trap/) }),
    );
    const human = await run(process.execPath, [
      "bin/coreplay.js",
      "call",
      String(typed),
      "add",
      "1",
      "--trace",
      "--url",
      server.url,
    ]);
    expect(human.stderr).toMatch(new RegExp(`actor ${typed} call add 0x01`));
  }, 120_000);

  it("dev controls: mine, snapshot, revert, and --version", async () => {
    const head = node.chain.head().number;
    const mined = await cli("mine", "3", "--url", server.url);
    expect(mined.json.number).toBeGreaterThanOrEqual(head + 3);
    const snap = await cli("snapshot", "--url", server.url);
    expect(snap.json).toMatchObject({ id: expect.any(String) });
    await cli("mine", "2", "--url", server.url);
    const back = await cli("revert", snap.json.id as string, "--url", server.url);
    expect(back.json.number).toBe(snap.json.block);
    const { stdout } = await run(process.execPath, ["bin/coreplay.js", "--version"]);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 120_000);
});
