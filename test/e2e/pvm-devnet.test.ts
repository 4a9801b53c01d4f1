/**
 * PVM actors on the real dev network (DESIGN §12): `coreplay dev` as a child process on a free port and a
 * temp data dir; pvm-counter, pvm-primes (a computation that never yields, preempted by the core's gas)
 * and a PVM pingpong co-scheduled with a Wasm pingpong, driven through the CLI; SIGKILL mid-run and
 * restart; final results and state hashes equal to an uninterrupted harness run.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExample } from "../../examples/build-example.ts";
import { createHarness } from "../../src/harness/index.ts";
import { type ChildNode, childNode, incrementCounter, out, until } from "./child-node.ts";

/** Small, so pvm-primes (tens of millions of instructions for this bound) is preempted across many blocks. */
const CORE_GAS = "500000";
const BOUND = 300_000;

const hex = (...parts: Uint8Array[]) => `0x${Buffer.concat(parts).toString("hex")}`;
const u8 = (n: number) => Uint8Array.of(n);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return new Uint8Array(b);
};

let node: ChildNode;
let dataDir: string;
const cli = <T = Record<string, unknown>>(...args: string[]) => node.cli<T>(...args);
const call = (actor: number, data: string) => node.call(actor, data);
const files: Record<string, string> = {};
const blobs: Record<string, Uint8Array> = {};
const ids: Record<string, number> = {};

beforeAll(async () => {
  const args = ["--core-gas", CORE_GAS, "--validators", "2", "--cores", "2", "--collators", "2"];
  node = await childNode({ prefix: "pvm-e2e-", args });
  dataDir = node.dataDir;
  const builds = {
    counter: "pvm-counter",
    primes: "pvm-primes",
    pvmPing: "pvm-pingpong",
    wasmPing: "pingpong",
  };
  await Promise.all([
    node.start(),
    ...Object.entries(builds).map(async ([name, path]) => {
      blobs[name] = (await buildExample(path)).blob;
      files[name] = join(dataDir, `${name}.cpl`);
      writeFileSync(files[name]!, blobs[name]!);
    }),
  ]);
}, 240_000);

afterAll(() => {
  node?.close();
});

describe("PVM actors on `coreplay dev` (child process, CLI, SIGKILL + restart)", () => {
  it("deploys the PVM counter, a Wasm/PVM pingpong pair and PVM primes; the RPC says each one's engine", async () => {
    const deploy = async (name: string, args = "0x") => {
      ids[name] = (await cli<{ actor: number }>("deploy", files[name]!, "--args", args)).actor;
    };
    await deploy("counter");
    const a = (await cli<unknown[]>("actor", "--all")).length;
    await deploy("wasmPing", hex(u32(a + 1)));
    await deploy("pvmPing", hex(u32(a)));
    expect(ids.pvmPing).toBe(ids.wasmPing! + 1);
    const engines = Object.fromEntries(
      await Promise.all(
        Object.entries(ids).map(async ([k, id]) => [
          k,
          (await cli<{ engine: string }>("actor", String(id))).engine,
        ]),
      ),
    );
    expect(engines).toEqual({ counter: "riscv", wasmPing: "wasm", pvmPing: "riscv" });
  }, 240_000);

  it("counter: calls return 1, 2, 3 once canonicalised", async () => {
    expect(await incrementCounter(node, ids.counter!, 3)).toEqual([1n, 2n, 3n]);
  }, 120_000);

  it("a PoV co-schedules the Wasm and the PVM pingpong, whose mains call each other; it validates", async () => {
    const serve = await call(ids.pvmPing!, hex(u8(1), u32(ids.wasmPing!), u32(41)));
    expect(serve).toMatchObject({ ok: true, output: hex(u8(0), u32(42)) });
    const pvmStats = await until(
      "the Wasm main to ping the PVM actor",
      async () => out((await call(ids.pvmPing!, "0x03")).output),
      (s) => s.readBigUInt64LE(0) >= 2n && s.readBigUInt64LE(8) >= 2n,
    );
    expect(pvmStats.readBigUInt64LE(16)).toBeGreaterThanOrEqual(1n); // its main's rounds
    const wasmStats = out((await call(ids.wasmPing!, "0x03")).output);
    expect(wasmStats.readUInt32LE(0)).toBeGreaterThanOrEqual(1); // pinged by the PVM main
    const povDir = join(dataDir, "povs");
    const blocks = await cli<{ number: number; povs: { core: number; actors: number[] }[] }[]>(
      "blocks",
      "-n",
      "20",
      "--save-povs",
      povDir,
    );
    const both = blocks.flatMap((b) =>
      b.povs
        .filter((p) => p.actors.includes(ids.wasmPing!) && p.actors.includes(ids.pvmPing!))
        .map((p) => `block-${b.number}-core-${p.core}.pov`),
    );
    expect(both.length).toBeGreaterThan(0);
    expect(readdirSync(povDir)).toContain(both[0]);
    expect(await cli("validate", join(povDir, both[0]!))).toEqual({ valid: true, reason: "" });
  }, 240_000);

  it("primes is preempted across blocks; SIGKILL mid-run and restart: same result and state hash as the harness", async () => {
    const progress = async () => {
      const v = out((await call(ids.primes!, "0x")).output);
      return [0, 8, 16, 24, 32, 40].map((o) => v.readBigUInt64LE(o));
    };
    // Deployed last, so it is surely mid-computation when the node is killed.
    ids.primes = (await cli<{ actor: number }>("deploy", files.primes!, "--args", hex(u32(BOUND)))).actor;
    const mid = await until(
      "primes to start",
      () => cli<{ engine: string; status: string; sequence: string }>("actor", String(ids.primes)),
      (a) => a.status === "suspended",
    );
    expect(mid.engine).toBe("riscv");
    await node.kill();
    await node.start();

    const done = await until("primes to finish", progress, (p) => p[5] === 1n, 240_000);
    const seq = Number((await cli<{ sequence: string }>("actor", String(ids.primes))).sequence);
    expect(seq).toBeGreaterThan(Number(mid.sequence) + 10); // many plays after the kill: preempted, never yielding

    // The same actors, uninterrupted, in the harness.
    const h = createHarness();
    const hp = h.deploy(blobs.primes!, u32(BOUND));
    h.service(hp, 1, 10n ** 10n);
    const hc = h.deploy(blobs.counter!);
    h.service(hc);
    for (let i = 0; i < 3; i++) h.call(hc, u8(1));
    const reply = h.call(hp, new Uint8Array());
    const want = Buffer.from(reply.success ? reply.value : []);
    expect(done).toEqual([0, 8, 16, 24, 32, 40].map((o) => want.readBigUInt64LE(o)));
    expect(done.slice(2, 4)).toEqual([25_997n, 299_993n]);
    const state = async (id: number) => (await cli<{ stateHash: string }>("actor", String(id))).stateHash;
    expect(await state(ids.primes!)).toBe(hex(h.imageHash(hp)));
    expect(out((await call(ids.counter!, "0x00")).output).readBigUInt64LE(0)).toBe(3n);
    expect(await state(ids.counter!)).toBe(hex(h.imageHash(hc)));
  }, 400_000);
});
