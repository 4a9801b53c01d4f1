/**
 * Issue 15 end to end, real processes: `coreplay net up --validators 4 --collators 4 --cores 2` where
 * collator-3 forges every PoV (`--test-corrupt-povs`), so three honest collators work beside it. The
 * examples (counter, primes across ≥ 20 blocks, mutex, a two-branch ledger) give the results they give
 * on `coreplay dev`; every PoV in a block was built by an honest collator process and carries
 * min(2, group) backing statements; authors include PoVs they did not execute; the forger is never
 * backed and its misbehaviour is recorded on chain; an honest collator SIGKILLed loses its actors to
 * the others, and restarted it syncs and collates again.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { buildExample } from "../../examples/build-example.ts";
import { BIN, cli, kill9, rpc, status, type UpNode, waitFor } from "./helpers.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "cpcoll-"));
let nodes: UpNode[] = [];

afterAll(async () => {
  await cli(["net", "down", "--dir", dir]).catch(() => {});
  for (const n of nodes) kill9(n.pid);
  rmSync(dir, { recursive: true, force: true });
});

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
  return new Uint8Array([t.length << 2, ...t]);
};
const key = (n: number) => new Uint8Array(32).fill(n);
const out = (h: string) => Buffer.from(h.slice(2), "hex");

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

interface PovEntry {
  hash: string;
  core: number;
  collator: string;
  backers: string[];
  actors: number[];
}
interface Block {
  number: number;
  authorKey: string;
  povs: PovEntry[];
}

/** The CLI against one node's RPC. */
async function at<T>(url: string, ...args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [BIN, ...args, "--url", url, "--json"], {
    timeout: 120_000,
  });
  return JSON.parse(stdout) as T;
}

describe("collators and backing across the network", () => {
  it("collator processes build, groups back, authors include unexecuted, faults are handled", {
    timeout: 1_000_000,
  }, async () => {
    const t0 = Date.now();
    const lap = (what: string) => console.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const files: Record<string, string> = {};
    const builds = {
      counter: "counter",
      primes: "primes",
      mutex: "mutex/assembly/index.ts",
      client: "mutex/assembly/client.ts",
      ledger: "ledger",
    };
    const upArgs = [
      "net",
      "up",
      "--validators",
      "4",
      "--collators",
      "4",
      "--cores",
      "2",
      "--slot-ms",
      "1500",
      "--test-corrupt-povs",
      "collator-3",
      "--dir",
      dir,
    ];
    // `net up` on an existing folder restarts what is not running (the CLI contract), so one retry after
    // a failed start (seen once in a loaded full-suite run) starts only the missing nodes
    const netUp = () => cli<{ nodes: UpNode[] }>(upArgs, 180_000);
    const [up] = await Promise.all([
      netUp().catch((e) => {
        console.warn(`net up failed once, retrying: ${(e as Error).message}`);
        return netUp();
      }),
      ...Object.entries(builds).map(async ([name, path]) => {
        const f = join(dir, `${name}.cpl`);
        writeFileSync(f, (await buildExample(path)).blob);
        files[name] = f;
      }),
    ]);
    nodes = up.nodes;
    lap("up");
    expect(nodes.filter((n) => n.role === "validator")).toHaveLength(4);
    expect(nodes.filter((n) => n.role === "collator")).toHaveLength(4);
    const spec = JSON.parse(readFileSync(join(dir, "spec.json"), "utf8")) as {
      validators: Array<{ publicKey: string }>;
      collators: Array<{ name: string; publicKey: string }>;
    };
    const collatorKey = (name: string) => spec.collators.find((c) => c.name === name)!.publicKey;
    const validatorKeys = new Set(spec.validators.map((v) => v.publicKey));
    const forger = collatorKey("collator-3");
    const vals = nodes.filter((n) => n.role === "validator");
    const v0 = vals[0]!.rpc;
    const v1 = vals[1]!.rpc;

    // --- deploy through one node, call through others (transactions gossip)
    const ids: Record<string, number> = {};
    const deploy = async (name: string, file: string, args = "0x") => {
      ids[name] = (await at<{ actor: number }>(v0, "deploy", file, "--args", args)).actor;
    };
    const BOUND = 60_000;
    await Promise.all([
      deploy("mutex", files.mutex!),
      deploy("counter", files.counter!),
      deploy("ledger0", files.ledger!, hex(u32(0), u32(100), u128(1n))),
      deploy("ledger1", files.ledger!, hex(u32(1), u32(100), u128(1n))),
      deploy("primes", files.primes!, hex(u32(BOUND), u32(2_000))),
    ]);
    await deploy("client", files.client!, hex(u32(ids.mutex!), str("door"), u32(3)));
    lap("deployed");
    const call = (url: string, actor: number, data: string) =>
      at<{ ok: boolean; output: string }>(url, "call", String(actor), data, "--wait");

    for (let i = 1n; i <= 3n; i++) {
      const r = await call(i % 2n ? v0 : v1, ids.counter!, "0x01");
      expect(r.ok).toBe(true);
      expect(out(r.output).readBigUInt64LE(0)).toBe(i);
    }
    lap("counter");
    const [l0, l1] = [ids.ledger0!, ids.ledger1!];
    async function ledger(l0: number, l1: number) {
      expect((await call(v0, l0, hex(u8(4), u32(1), u32(l1)))).ok).toBe(true);
      expect((await call(v1, l1, hex(u8(4), u32(0), u32(l0)))).ok).toBe(true);
      expect((await call(v0, l0, hex(u8(1), key(0xaa), u128(1000n)))).ok).toBe(true);
      expect(await call(v0, l0, hex(u8(2), key(0xaa), u32(1), key(0xbb), u128(300n)))).toMatchObject({
        ok: true,
        output: "0x01",
      });
      await waitFor(
        "the credit on ledger branch 1",
        async () => (await call(v1, l1, hex(u8(0), key(0xbb)))).output === hex(u128(300n)),
        120_000,
      );
      expect((await call(v0, l0, hex(u8(0), key(0xaa)))).output).toBe(hex(u128(700n)));
    }
    await ledger(l0, l1);
    lap("ledger");
    await waitFor(
      "the mutex client to finish",
      async () => out((await call(v1, ids.client!, "0x00")).output)[0] === 2,
      180_000,
    );
    expect(await call(v0, ids.mutex!, hex(u8(3), str("door")))).toMatchObject({ ok: true, output: "0x00" });
    lap("mutex");

    // --- an honest collator SIGKILLed: the actors go on with the others; restarted, it collates again
    const victim = nodes.find((n) => n.name === "collator-0")!;
    const victimKey = collatorKey("collator-0");
    kill9(victim.pid);
    const killedAt = (await status(v0)).head.number;
    for (let i = 4n; i <= 6n; i++) {
      const r = await call(v1, ids.counter!, "0x01");
      expect(out(r.output).readBigUInt64LE(0)).toBe(i);
    }
    lap("counter after the kill");

    // --- primes across ≥ 20 blocks, the same result as the sieve
    const done = await waitFor(
      "primes to finish",
      async () => {
        const p = out((await call(v0, ids.primes!, "0x00")).output);
        return p[p.length - 1] === 1 ? p : undefined;
      },
      300_000,
    );
    const want = sieve(BOUND);
    expect(done.readUInt32LE(8)).toBe(want.count);
    expect(done.readUInt32LE(12)).toBe(want.largest);
    expect(done.readBigUInt64LE(16)).toBe(want.sum);
    const primes = await at<{ sequence: string }>(v0, "actor", String(ids.primes));
    expect(Number(primes.sequence)).toBeGreaterThanOrEqual(20);
    lap("primes");

    // --- the forger is never backed; its misbehaviour is on chain
    const disputes = await waitFor(
      "the forger's misbehaviour on chain",
      async () => {
        const d = await rpc<Array<{ kind: string; collator: string; invalid: string[] }>>(
          v0,
          "net_v1_disputes",
        );
        return d.some((x) => x.kind === "Misbehaviour" && x.collator === forger) ? d : undefined;
      },
      120_000,
    );
    expect(disputes.find((x) => x.collator === forger)!.invalid.length).toBeGreaterThanOrEqual(2);

    // restart the victim: it syncs and builds again
    await cli<{ nodes: UpNode[] }>(["net", "up", "--dir", dir]);
    const victimRpc = victim.rpc;
    await waitFor(
      "the restarted collator to sync",
      async () => (await status(victimRpc)).head.number >= (await status(v0)).head.number - 1,
      120_000,
    );
    const restartedAt = (await status(v0)).head.number;
    await waitFor(
      "a PoV by the restarted collator",
      async () => {
        await call(v0, ids.counter!, "0x01");
        const head = (await status(v0)).head.number;
        for (let n = restartedAt; n <= head; n++) {
          const b = await rpc<Block>(v0, "chain_v1_block", [n]);
          if (b.povs.some((p) => p.collator === victimKey)) return true;
        }
        return false;
      },
      180_000,
    );
    lap("restarted collator collates");

    // --- every PoV of the chain: an honest collator process, min(2, group) backers; some unexecuted by their author
    const head = (await status(v0)).head.number;
    let povs = 0;
    let notExecutedByAuthor = 0;
    for (let n = 1; n <= head; n++) {
      const b = await rpc<Block>(v0, "chain_v1_block", [n]);
      for (const p of b.povs) {
        povs++;
        expect(p.collator).not.toBe(forger);
        expect(spec.collators.some((c) => c.publicKey === p.collator)).toBe(true);
        expect(new Set(p.backers).size).toBe(p.backers.length);
        expect(p.backers.length).toBeGreaterThanOrEqual(2); // groups of 2 (4 validators, 2 cores)
        for (const k of p.backers) expect(validatorKeys.has(k)).toBe(true);
        if (!p.backers.includes(b.authorKey)) notExecutedByAuthor++;
        if (n > killedAt + 2 && n < restartedAt) expect(p.collator).not.toBe(victimKey);
      }
    }
    console.log(
      `${povs} PoVs in ${head} blocks, ${notExecutedByAuthor} included by an author outside their group`,
    );
    expect(povs).toBeGreaterThan(20);
    expect(notExecutedByAuthor).toBeGreaterThan(0);
    // an author outside the group never executed them: its node judged only its own group's PoVs
    const st = await rpc<{ backing: Record<string, number> }>(v0, "net_v1_status");
    expect(st.backing.collations).toBeGreaterThan(0);
  });
});
