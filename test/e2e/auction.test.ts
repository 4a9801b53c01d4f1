/**
 * End to end (issue 18 §1): `examples/auction` on a real `coreplay dev` child process, driven through
 * the CLI: a lot's fibre sleeps until its closing block across a SIGKILL and a restart; bids come by
 * call and by postcard; while every fibre waits the actor gets no PoV; the lot settles at its block.
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
    [BIN, "dev", "--port", String(port), "--data-dir", dataDir, "--block-time", "250", "--no-examples"],
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
type Block = { number: number; povs: Array<{ actors: number[] }> };
const le = (n: number | bigint, bytes: 4 | 8) => {
  const b = Buffer.alloc(bytes);
  if (bytes === 4) b.writeUInt32LE(Number(n));
  else b.writeBigUInt64LE(BigInt(n));
  return b.toString("hex");
};
const head = async () => (await cli<Block[]>("blocks", "-n", "1")).at(-1)?.number ?? 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "cp-auction-e2e-"));
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  files.auction = join(dataDir, "auction.cpl");
  await Promise.all([
    startNode(),
    buildExample("auction").then((b) => writeFileSync(files.auction!, b.blob)),
  ]);
}, 240_000);

afterAll(() => {
  node?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("auction on coreplay dev (child process, CLI, SIGKILL + restart)", () => {
  it("a lot's fibre sleeps across a SIGKILL, takes bids by call and postcard, and settles at its block", async () => {
    const a = await cli<{ actor: number }>("deploy", files.auction as string);
    // blocks every 250 ms: the lot closes ~40 s of node uptime on, after the bids, the SIGKILL and the
    // restart (no blocks while the node is down)
    const closesAt = (await head()) + 160;
    const opened = await call(a.actor, `0x00${le(closesAt, 4)}${le(0, 8)}`);
    expect(opened).toMatchObject({ ok: true, output: "0x00000000" });
    // bid 10 by call (bidder "alice"), then 15 by postcard from the dev account
    const bid = await call(a.actor, `0x01${le(0, 4)}${le(10, 8)}14${Buffer.from("alice").toString("hex")}`);
    expect(bid.ok).toBe(true);
    await cli("send", String(a.actor), `0x${le(0, 4)}${le(15, 8)}`);
    const lot = async () => Buffer.from((await call(a.actor, `0x02${le(0, 4)}`)).output.slice(2), "hex");

    node?.kill("SIGKILL");
    await new Promise((r) => node?.once("exit", r));
    await expect(cli("blocks", "-n", "1")).rejects.toThrow(); // really gone
    await startNode();

    let info = await lot();
    for (let i = 0; i < 20 && info.readBigUInt64LE(12) !== 15n; i++) info = await lot();
    expect(info.readUInt32LE(0)).toBe(closesAt);
    expect(info.readBigUInt64LE(12)).toBe(15n); // the postcard's bid is the best
    expect(info[info.length - 1]).toBe(0); // still open
    const before = await head();
    expect(before).toBeLessThan(closesAt);

    let now = await head();
    for (let i = 0; i < 300 && now <= closesAt + 1; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      now = await head();
    }
    expect(now).toBeGreaterThan(closesAt);
    info = await lot();
    expect(info[info.length - 1]).toBe(1); // closed
    const logs = await cli<Array<{ line: string }>>("logs", String(a.actor));
    const sold = logs.map((l) => l.line).find((l) => l.startsWith("lot 0 sold"));
    expect(sold).toMatch(new RegExp(`^lot 0 sold to 0x[0-9a-f]{64} for 15 at block ${closesAt}$`));

    // between the bids and the close, every fibre waited: the auction had no PoV until its block
    const blocks = await cli<Block[]>("blocks", "-n", String(now - before + 5));
    const played = blocks.filter(
      (b) => b.number > before && b.number <= closesAt && b.povs.some((p) => p.actors.includes(a.actor)),
    );
    expect(played.map((b) => b.number)).toEqual([closesAt]);
  }, 400_000);
});
