/**
 * End to end (issue 12 §4): `examples/upgradable` on a real `coreplay dev` child process, driven through
 * the CLI: v1 counts, upgrades itself to v2 (uploaded beside it), v2 keeps the count and adds `add`;
 * after a SIGKILL and a restart the actor is still on v2 with its count.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExample } from "../../examples/build-example.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "coreplay.js");
const run = promisify(execFile);
const out = (h: string) => Buffer.from(h.slice(2), "hex");
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b.toString("hex");
};

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
}

let dataDir: string;
let url: string;
let port: number;
let node: ChildProcess | undefined;
let nodeLog = "";
const files: Record<string, string> = {};

async function startNode(): Promise<void> {
  const child = spawn(
    process.execPath,
    [BIN, "dev", "--port", String(port), "--data-dir", dataDir, "--block-time", "instant", "--no-examples"],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  node = child;
  child.stderr?.on("data", (d) => {
    nodeLog += d;
  });
  await new Promise<void>((ok, fail) => {
    let buf = "";
    const t = setTimeout(() => fail(new Error(`node did not start:\n${nodeLog}`)), 170_000);
    child.stdout?.on("data", (d) => {
      buf += d;
      if (buf.includes('"rpc"')) {
        clearTimeout(t);
        ok();
      }
    });
    child.once("exit", (c) => fail(new Error(`node exited (${c}):\n${nodeLog}`)));
  });
}

async function cli<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [BIN, ...args, "--url", url, "--json"], {
    cwd: ROOT,
    timeout: 90_000,
  });
  return JSON.parse(stdout) as T;
}
const call = (actor: number, data: string) =>
  cli<{ ok: boolean; output: string }>("call", String(actor), data, "--wait");
type Actor = { codeHash: string; status: string; lastUpgrade?: { ok: boolean; from: string; to: string } };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "cp-setcode-e2e-"));
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  await Promise.all([
    startNode(),
    ...Object.entries({ v1: "upgradable", v2: "upgradable/assembly/upgradable-v2.ts" }).map(
      async ([n, p]) => {
        files[n] = join(dataDir, `${n}.cpl`);
        writeFileSync(files[n] as string, (await buildExample(p)).blob);
      },
    ),
  ]);
}, 240_000);

afterAll(() => {
  node?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("upgradable on coreplay dev (child process, CLI, SIGKILL + restart)", () => {
  it("v1 counts and upgrades itself to v2; the count survives the upgrade and a SIGKILL", async () => {
    const a = await cli<{ actor: number; codeHash: string }>("deploy", files.v1 as string);
    // deploying v2 uploads it (and makes a v2 actor of its own, unused here)
    const v2 = await cli<{ actor: number; codeHash: string }>("deploy", files.v2 as string);
    expect(v2.codeHash).not.toBe(a.codeHash);
    for (let i = 1n; i <= 3n; i++) {
      const r = await call(a.actor, "0x01");
      expect(r.ok).toBe(true);
      expect(out(r.output).readBigUInt64LE(0)).toBe(i);
    }
    expect((await call(a.actor, "0x04")).output).toBe("0x01");
    // upgrade(v2): set_code accepted (0); it takes effect when this call's PoV is canonicalised
    expect(await call(a.actor, `0x02${v2.codeHash.slice(2)}`)).toMatchObject({
      ok: true,
      output: "0x00000000",
    });
    const after = await cli<Actor>("actor", String(a.actor));
    expect(after.codeHash).toBe(v2.codeHash);
    expect(after.lastUpgrade).toMatchObject({ ok: true, from: a.codeHash, to: v2.codeHash });
    expect((await call(a.actor, "0x04")).output).toBe("0x02");
    expect(out((await call(a.actor, "0x00")).output).readBigUInt64LE(0)).toBe(3n);
    expect(out((await call(a.actor, `0x03${u64(4n)}`)).output).readBigUInt64LE(0)).toBe(7n);

    node?.kill("SIGKILL");
    await new Promise((r) => node?.once("exit", r));
    await expect(cli("actor", String(a.actor))).rejects.toThrow(); // really gone
    await startNode();

    const back = await cli<Actor>("actor", String(a.actor));
    expect(back.codeHash).toBe(v2.codeHash);
    expect(back.lastUpgrade).toMatchObject({ ok: true, to: v2.codeHash });
    expect(out((await call(a.actor, "0x00")).output).readBigUInt64LE(0)).toBe(7n);
    expect(out((await call(a.actor, "0x01")).output).readBigUInt64LE(0)).toBe(8n);
    expect((await call(a.actor, "0x05")).output).toBe("0x01000000"); // reached by set_code
  }, 400_000);
});
