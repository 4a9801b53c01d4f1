/**
 * Issue 13 §3 (pruning) and §5: a data dir serves one node, the head is never announced before its
 * summary, `--pruning` bounds stored PoV bytes and block bodies, a wait's timer never overflows.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createNodeApi } from "../../src/node/api.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { RPC_ERROR } from "../../src/rpc/errors.ts";
import { createMethods } from "../../src/rpc/methods.ts";
import { createRpcServer } from "../../src/rpc/server.ts";
import type { BlockJson, NodeApi } from "../../src/rpc/types.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { deployCounters, deployProgram, tickerProgram } from "./programs.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const engine = createWasmEngine();
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "rpc-harden-node-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function deployCounter(_api: NodeApi, node: CoreplayNode): Promise<number> {
  return (await deployCounters(node, 1))[0]!;
}

/** A block with a canonicalised PoV: one call, then blocks until its receipt. */
async function blockWithPov(api: NodeApi, node: CoreplayNode, actor: number): Promise<BlockJson> {
  const sent = api.submitCall(actor, Uint8Array.of(1)); // resolves once a block includes it
  await node.produceBlock();
  await sent;
  for (let i = 0; i < 5; i++) {
    const b = await node.produceBlock();
    if (b.povs.length > 0) return b;
  }
  throw new Error("no PoV canonicalised in 5 blocks");
}

describe("data dir lock", () => {
  /** Starts `coreplay dev` on `dir`; resolves with its first JSON line, or its exit code and stderr. */
  function dev(dir: string, extra: string[] = []) {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "bin/coreplay.js"),
        "dev",
        "--port",
        "0",
        "--data-dir",
        dir,
        "--block-time",
        "manual",
        ...extra,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const started = new Promise<{ started: true } | { started: false; code: number | null; err: string }>(
      (ok) => {
        let out = "";
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (/^\{.*"rpc"/m.test(out)) ok({ started: true });
        });
        child.once("exit", (code) => ok({ started: false, code, err }));
      },
    );
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((ok) => child.once("exit", ok));
      child.kill("SIGKILL");
      await exited;
    };
    return { child, started, stop };
  }

  it("refuses a second node on the same --data-dir with a clear error, and frees a dead node's lock", {
    timeout: 120_000,
  }, async () => {
    const dir = tempDir();
    const first = dev(dir);
    try {
      expect(await first.started).toEqual({ started: true });
      const second = dev(dir);
      const r = await second.started;
      await second.stop();
      expect(r.started).toBe(false);
      if (r.started) return;
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/error: Data dir in use/);
      expect(r.err).toContain(`used by another node (process ${first.child.pid})`);
      // --fresh would have deleted the running node's chain: refused the same way
      const fresh = dev(dir, ["--fresh"]);
      const f = await fresh.started;
      await fresh.stop();
      expect(f.started).toBe(false);
      if (!f.started) expect(f.err).toMatch(/error: Data dir in use/);
      expect(existsSync(join(dir, "chain"))).toBe(true);
    } finally {
      await first.stop(); // kill -9: its LOCK stays behind, naming a dead process
    }
    expect(existsSync(join(dir, "LOCK"))).toBe(true);
    const third = dev(dir);
    try {
      expect(await third.started).toEqual({ started: true });
    } finally {
      await third.stop();
    }
  });

  it("refuses a second node in the same process, and takes the dir once the first stopped", async () => {
    const dir = tempDir();
    const a = await createNode({ dataDir: dir, blockTime: "manual", validators: 1, engine });
    await expect(
      createNode({ dataDir: dir, blockTime: "manual", validators: 1, engine }),
    ).rejects.toMatchObject({
      code: "NODE_DATA_DIR_LOCKED",
    });
    await a.stop();
    const b = await createNode({ dataDir: dir, blockTime: "manual", validators: 1, engine });
    await b.stop();
  });
});

describe("chain_v1_head and the block summary", () => {
  it("never shows a head without its summary (timestamp, PoVs), with LMDB", async () => {
    const node = await createNode({ dataDir: tempDir(), blockTime: "manual", validators: 1, engine });
    const api = createNodeApi(node);
    try {
      const actor = await deployCounter(api, node);
      const seen: BlockJson[] = [];
      // what a client polling chain_v1_head sees the moment the block is announced
      const off = node.subscribe((e) => {
        if (e.event === "newBlock") seen.push(api.head());
      });
      const produced: BlockJson[] = [];
      for (let i = 0; i < 3; i++) {
        const b = await blockWithPov(api, node, actor);
        produced.push(b);
        expect(api.head()).toEqual(b); // and right after produceBlock resolves
      }
      off();
      for (const h of seen) expect(h.timestamp, `block ${h.number}`).toBeGreaterThan(0);
      for (const b of produced) expect(seen.find((h) => h.number === b.number)?.povs).toEqual(b.povs);
    } finally {
      await node.stop();
    }
  });
});

describe("logs with the block", () => {
  it("an actor's logs of a block are readable the moment the block is announced, with LMDB", async () => {
    const node = await createNode({ dataDir: tempDir(), blockTime: "manual", validators: 1, engine });
    const api = createNodeApi(node);
    try {
      const actor = await deployProgram(node, tickerProgram());
      const missing: string[] = [];
      let logged = 0;
      node.subscribe((e) => {
        if (e.event !== "log") return;
        logged++;
        const seen = api.logs(actor, { fromBlock: e.log.block });
        if (!seen.some((l) => l.block === e.log.block)) missing.push(`block ${e.log.block}`);
      });
      for (let i = 0; i < 6; i++) await node.produceBlock(); // main logs "tick" in each of its plays
      expect(logged).toBeGreaterThan(0);
      expect(missing).toEqual([]);
    } finally {
      await node.stop();
    }
  });
});

describe("--pruning", () => {
  it.each([
    ["in memory", false],
    ["with LMDB", true],
  ])(
    "drops PoV bytes, views and block bodies past the depth and serves recent ones (%s)",
    {
      timeout: 120_000,
    },
    async (_, onDisk) => {
      const depth = 20;
      const node = await createNode({
        dataDir: onDisk ? tempDir() : undefined,
        blockTime: "manual",
        validators: 1,
        engine,
        pruning: depth,
      });
      const api = createNodeApi(node);
      const server = await createRpcServer({ port: 0, methods: createMethods(api) });
      const rpc = async (method: string, params: unknown[]) => {
        const res = await fetch(server.url, {
          method: "POST",
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
        });
        return (await res.json()) as { result?: unknown; error?: { code: number; data: { code: string } } };
      };
      try {
        const actor = await deployCounter(api, node);
        const old = await blockWithPov(api, node, actor);
        const oldPov = old.povs[0]!.hash;
        expect((await rpc("chain_v1_pov", [oldPov])).result).toMatch(/^0x/);
        expect(node.chain.block(old.number)!.canonicalised.length).toBeGreaterThan(0);
        let recent = old;
        while (node.chain.head().number < old.number + depth + 20)
          recent = await blockWithPov(api, node, actor);
        const head = node.chain.head().number;

        // past the depth: typed errors, and the bytes are gone from both databases
        const pov = await rpc("chain_v1_pov", [oldPov]);
        expect(pov.error?.code).toBe(RPC_ERROR.Pruned);
        expect(pov.error?.data.code).toBe("POV_PRUNED");
        const block = await rpc("chain_v1_block", [old.number]);
        expect(block.error?.code).toBe(RPC_ERROR.Pruned);
        expect(block.error?.data.code).toBe("BLOCK_PRUNED");
        expect(node.db.view(oldPov)).toBeUndefined();
        const body = node.chain.block(old.number)!;
        expect([body.txs, body.admitted, body.canonicalised]).toEqual([[], [], []]);
        expect(node.chain.block(body.hash)?.header.number).toBe(old.number); // the header stays
        expect(node.db.prunedBelow()).toBeGreaterThan(head - depth - 16); // pruned in batches of 16

        // recent: served whole
        expect(recent.number).toBeGreaterThan(head - depth);
        expect((await rpc("chain_v1_pov", [recent.povs[0]!.hash])).result).toMatch(/^0x/);
        expect((await rpc("chain_v1_block", [recent.number])).result).toEqual(recent);
        expect(node.chain.block(recent.number)!.canonicalised.length).toBeGreaterThan(0);
        // a block that never existed is still unknown, not pruned
        expect((await rpc("chain_v1_block", [head + 100])).error?.data.code).toBe("UNKNOWN_BLOCK");
      } finally {
        await server.close();
        await node.stop();
      }
    },
  );

  it("keeps everything in archive mode", { timeout: 120_000 }, async () => {
    const node = await createNode({ blockTime: "manual", validators: 1, engine, pruning: "archive" });
    const api = createNodeApi(node);
    try {
      const actor = await deployCounter(api, node);
      const old = await blockWithPov(api, node, actor);
      for (let i = 0; i < 40; i++) await node.produceBlock();
      expect(node.db.pov(old.povs[0]!.hash)?.pruned).toBe(false);
      expect(api.block(old.number)).toEqual(old);
      expect(node.db.prunedBelow()).toBe(0);
    } finally {
      await node.stop();
    }
  });

  it("refuses a depth of 0 with NODE_BAD_OPTION", async () => {
    await expect(
      createNode({ blockTime: "manual", validators: 1, engine, pruning: 0 }),
    ).rejects.toMatchObject({
      code: "NODE_BAD_OPTION",
    });
  });
});

describe("waits", () => {
  it("a wait above 2^31−1 ms waits (Node fires such a timer at once), it does not time out", async () => {
    const node = await createNode({ blockTime: "manual", validators: 1, engine });
    try {
      const wait = node.waitReceipt(new Uint8Array(32) as never, 2 ** 40);
      const outcome = await Promise.race([
        wait.then(
          () => "settled",
          (e: Error) => e.message,
        ),
        new Promise((ok) => setTimeout(() => ok("still waiting"), 300)),
      ]);
      expect(outcome).toBe("still waiting");
    } finally {
      await node.stop();
    }
  });
});
