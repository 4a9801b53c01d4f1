/**
 * End to end: the real node as a child process (`coreplay dev`) on a free port and a temp data dir;
 * every example deployed and driven through the CLI; SIGKILL mid-run, restart, everything still right.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExample } from "../../examples/build-example.ts";
import { type ChildNode, childNode, incrementCounter, out, until } from "./child-node.ts";

const hex = (...parts: Uint8Array[]) => `0x${Buffer.concat(parts).toString("hex")}`;
const u8 = (n: number) => Uint8Array.of(n);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return new Uint8Array(b);
};
const u128 = (n: bigint) => {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(n & ((1n << 64n) - 1n));
  b.writeBigUInt64LE(n >> 64n, 8);
  return new Uint8Array(b);
};
const str = (s: string) => {
  const t = Buffer.from(s, "utf8");
  return new Uint8Array([t.length << 2, ...t]); // SCALE compact length (< 64)
};
const key = (n: number) => new Uint8Array(32).fill(n);

/** Primes below `bound`, independently: count, largest, sum. */
function sieve(bound: number) {
  const comp = new Uint8Array(bound);
  let count = 0;
  let largest = 0;
  let sum = 0n;
  for (let i = 2; i < bound; i++) {
    if (comp[i]) continue;
    count++;
    largest = i;
    sum += BigInt(i);
    for (let j = i * i; j < bound; j += i) comp[j] = 1;
  }
  return { count, largest, sum };
}

let node: ChildNode;
let dataDir: string;
const cli = <T = Record<string, unknown>>(...args: string[]) => node.cli<T>(...args);
const call = (actor: number, data: string) => node.call(actor, data);

const PRIMES_BOUND = 400_000;
const PRIMES_STEP = 2_000;
const files: Record<string, string> = {};
const ids: Record<string, number> = {};

beforeAll(async () => {
  node = await childNode({
    prefix: "cp-e2e-",
    args: ["--validators", "2", "--cores", "4", "--collators", "3"],
  });
  dataDir = node.dataDir;
  const builds = {
    counter: "counter",
    primes: "primes",
    mutex: "mutex/assembly/index.ts",
    client: "mutex/assembly/client.ts",
    ledger: "ledger",
    pingpong: "pingpong",
  };
  const [started] = await Promise.all([
    node.start(),
    ...Object.entries(builds).map(async ([name, path]) => {
      const f = join(dataDir, `${name}.cpl`);
      writeFileSync(f, (await buildExample(path)).blob);
      files[name] = f;
    }),
  ]);
  return started;
}, 240_000);

afterAll(() => {
  node?.close();
});

describe("dev network end to end (child process, CLI, SIGKILL + restart)", () => {
  it("deploys every example through the CLI", async () => {
    const deploy = async (name: string, file: string, args = "0x") => {
      const r = await cli<{ actor: number; codeHash: string }>("deploy", file, "--args", args);
      expect(r.codeHash).toMatch(/^0x[0-9a-f]{64}$/);
      ids[name] = r.actor;
      return r.actor;
    };
    const [mutex] = await Promise.all([
      deploy("mutex", files.mutex!),
      deploy("counter", files.counter!),
      deploy("ledger0", files.ledger!, hex(u32(0), u32(100), u128(1n))),
      deploy("ledger1", files.ledger!, hex(u32(1), u32(100), u128(1n))),
    ]);
    await deploy("client", files.client!, hex(u32(mutex), str("door"), u32(3)));
    const a = (await cli<unknown[]>("actor", "--all")).length;
    await deploy("ping", files.pingpong!, hex(u32(a + 1)));
    await deploy("pong", files.pingpong!, hex(u32(a)));
    expect(new Set(Object.values(ids)).size).toBe(7);
  }, 240_000);

  it("counter: calls return 1, 2, 3 once canonicalised", async () => {
    expect(await incrementCounter(node, ids.counter!, 3)).toEqual([1n, 2n, 3n]);
    const a = await cli("actor", String(ids.counter));
    expect(Object.keys(a)).toEqual(
      expect.arrayContaining(["id", "codeHash", "stateHash", "sequence", "balance"]),
    );
    expect(a.id).toBe(ids.counter);
  }, 120_000);

  it("ledger: a transfer between the two branches arrives as a postcard", async () => {
    const [l0, l1] = [ids.ledger0!, ids.ledger1!];
    expect((await call(l0, hex(u8(4), u32(1), u32(l1)))).ok).toBe(true);
    expect((await call(l1, hex(u8(4), u32(0), u32(l0)))).ok).toBe(true);
    const minted = await call(l0, hex(u8(1), key(0xaa), u128(1000n)));
    expect(minted.ok).toBe(true);
    const sent = await call(l0, hex(u8(2), key(0xaa), u32(1), key(0xbb), u128(300n)));
    expect(sent).toMatchObject({ ok: true, output: "0x01" });
    await until(
      "the credit on branch 1",
      () => call(l1, hex(u8(0), key(0xbb))),
      (r) => r.output === hex(u128(300n)),
    );
    expect((await call(l0, hex(u8(0), key(0xaa)))).output).toBe(hex(u128(700n)));
  }, 180_000);

  it("pingpong: co-scheduled players call each other synchronously", async () => {
    const r = await call(ids.ping!, hex(u8(1), u32(ids.pong!), u32(41)));
    expect(r.ok).toBe(true);
    // (status u8 = Ok, value u32 = 42)
    expect(r.output).toBe(hex(u8(0), u32(42)));
  }, 120_000);

  it("mutex: the client locks, holds across plays, and unlocks", async () => {
    const st = await until(
      "the client to finish",
      () => call(ids.client!, "0x00"),
      (r) => out(r.output)[0] === 2,
    );
    expect(out(st.output).readUInt32LE(1)).toBeGreaterThanOrEqual(3);
    const holder = await call(ids.mutex!, hex(u8(3), str("door")));
    expect(holder).toMatchObject({ ok: true, output: "0x00" }); // None: released
  }, 180_000);

  it("primes runs across blocks; SIGKILL mid-run and restart loses nothing", async () => {
    // Deployed last, so it is surely mid-computation when the node is killed.
    ids.primes = (
      await cli<{ actor: number }>(
        "deploy",
        files.primes!,
        "--args",
        hex(u32(PRIMES_BOUND), u32(PRIMES_STEP)),
      )
    ).actor;
    const progress = async () => out((await call(ids.primes!, "0x00")).output);
    const mid = await progress();
    expect(mid[mid.length - 1]).toBe(0); // not done yet
    const povDir = join(dataDir, "povs");
    await cli("blocks", "-n", "3", "--save-povs", povDir);

    await node.kill();
    const before = (await cli("actor", String(ids.counter)).catch(() => undefined)) as unknown;
    expect(before).toBeUndefined(); // the node is really gone
    await node.start();

    expect(out((await call(ids.counter!, "0x00")).output).readBigUInt64LE(0)).toBe(3n);
    expect((await call(ids.ledger1!, hex(u8(0), key(0xbb)))).output).toBe(hex(u128(300n)));
    expect((await call(ids.ledger0!, hex(u8(0), key(0xaa)))).output).toBe(hex(u128(700n)));
    const done = await until("primes to finish", progress, (p) => p[p.length - 1] === 1, 240_000);
    const want = sieve(PRIMES_BOUND);
    expect(done.readUInt32LE(0)).toBeGreaterThanOrEqual(PRIMES_BOUND);
    expect(done.readUInt32LE(4)).toBe(PRIMES_BOUND);
    expect(done.readUInt32LE(8)).toBe(want.count);
    expect(done.readUInt32LE(12)).toBe(want.largest);
    expect(done.readBigUInt64LE(16)).toBe(want.sum);
    const p = await cli<{ sequence: string }>("actor", String(ids.primes));
    expect(Number(p.sequence)).toBeGreaterThanOrEqual(20);

    // A saved PoV validates; a tampered copy does not.
    const saved = readdirSync(povDir);
    if (saved.length > 0) {
      const f = join(povDir, saved[0]!);
      expect(await cli("validate", f)).toEqual({ valid: true, reason: "" });
      const bytes = readFileSync(f);
      bytes[bytes.length - 50]! ^= 0xff;
      writeFileSync(`${f}.bad`, bytes);
      const bad = await cli<{ valid: boolean; reason: string }>("validate", `${f}.bad`);
      expect(bad.valid).toBe(false);
      expect(bad.reason.length).toBeGreaterThan(0);
    }
    expect(saved.length).toBeGreaterThan(0);
  }, 400_000);
});
