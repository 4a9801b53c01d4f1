/**
 * The network bench (issue 14): four `coreplay node` processes on loopback, started by `coreplay net
 * up`. Finalised blocks per minute and the finality lag, canonicalised calls per second through the
 * network (signed calls spread over the four nodes' RPC, gossiped to every node, included by whoever
 * authors within its block budget),
 * and how fast a wiped node syncs the chain back (download + re-execution). Real processes, so the
 * figures move with whatever else the machine runs.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { chainConfig } from "../src/chain/config.ts";
import { signTx } from "../src/chain/index.ts";
import { toHex } from "../src/codec/bytes.ts";
import type { ActorId } from "../src/codec/ids.ts";
import { devKeypair } from "../src/crypto/ed25519.ts";
import { counterProgram } from "../test/node/programs.ts";
import { type Bench, type Figure, median } from "./lib.ts";

const BIN = join(import.meta.dirname, "../bin/coreplay.js");
const exec = promisify(execFile);
const CALLS = 8000;
const SLOT_MS = 500;
const CORES = 4;

const cli = async <T>(args: string[]): Promise<T> => {
  const { stdout } = await exec(process.execPath, [BIN, ...args, "--json"], { timeout: 180_000 });
  return JSON.parse(stdout.trim().split("\n").pop()!) as T;
};

let seq = 0;
async function rpcBatch<T>(url: string, calls: Array<[string, unknown[]]>, soft = false): Promise<T[]> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(calls.map(([method, params]) => ({ jsonrpc: "2.0", id: ++seq, method, params }))),
  });
  const out = (await res.json()) as Array<{ result?: T; error?: { message: string } }>;
  return out.map((o) => {
    if (o.error && !soft) throw new Error(o.error.message);
    return o.result as T;
  });
}
const rpc = async <T>(url: string, method: string, params: unknown[] = []) =>
  (await rpcBatch<T>(url, [[method, params]]))[0]!;
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
interface Status {
  head: { number: number };
  finalized: { number: number };
}

const bench: Bench = async () => {
  const dir = mkdtempSync(join(tmpdir(), "cpnet-bench-"));
  const figures: Figure[] = [];
  let pids: number[] = [];
  try {
    const up = await cli<{ nodes: Array<{ rpc: string; pid: number }> }>([
      "net",
      "up",
      "--validators",
      "4",
      "--slot-ms",
      String(SLOT_MS),
      "--cores",
      String(CORES),
      "--dir",
      dir,
    ]);
    pids = up.nodes.map((n) => n.pid);
    const urls = up.nodes.map((n) => n.rpc);
    const st = () => Promise.all(urls.map((u) => rpc<Status>(u, "net_v1_status")));
    while ((await st()).some((s) => s.finalized.number < 4)) await sleep(250);

    // 1. finality over 20 s of empty blocks
    const f0 = (await st())[0]!.finalized.number;
    const t0 = Date.now();
    const lags: number[] = [];
    while (Date.now() - t0 < 20_000) {
      for (const s of await st()) lags.push(s.head.number - s.finalized.number);
      await sleep(250);
    }
    const f1 = (await st())[0]!.finalized.number;
    const perMin = ((f1 - f0) * 60_000) / (Date.now() - t0);
    figures.push({
      name: "net.blocks_finalised_per_min",
      value: Math.round(perMin * 10) / 10,
      unit: "blocks/min",
      target: { min: (60_000 / SLOT_MS) * 0.8 },
      note: `4 nodes on loopback, ${SLOT_MS} ms slots (${60_000 / SLOT_MS}/min at most)`,
    });
    figures.push({
      name: "net.finality_lag_blocks",
      value: median(lags),
      unit: "blocks",
      target: { max: 2 },
      note: `median head − finalised over ${lags.length} samples of every node (max ${Math.max(...lags)})`,
    });

    // 2. calls through the network: 4 counters, CALLS signed calls from 8 accounts, each sent to one node
    const { codeHash } = await rpc<{ codeHash: string }>(urls[0]!, "code_v1_upload", [
      toHex(counterProgram()),
    ]);
    const actors: ActorId[] = [];
    for (let i = 0; i < 4; i++)
      actors.push((await rpc<{ actor: number }>(urls[0]!, "actor_v1_create", [codeHash])).actor as ActorId);
    const config = chainConfig({ cores: CORES, callQueueCapacity: 4096 });
    const signers = Array.from({ length: 8 }, (_, i) => devKeypair(1 + i));
    const txs: Array<{ url: string; bytes: string }> = [];
    for (let i = 0; i < CALLS; i++) {
      const a = i % 8;
      const call = { tag: "Call" as const, value: { actor: actors[i % 4]!, input: Uint8Array.of(1) } };
      txs.push({
        url: urls[a % 4]!,
        bytes: toHex(signTx(signers[a]!, { nonce: BigInt(Math.floor(i / 8)), call }, config)),
      });
    }
    const c0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < txs.length; i += 500) {
      const chunk = txs.slice(i, i + 500);
      await Promise.all(
        [0, 1, 2, 3].map(async (k) => {
          const mine = chunk.filter((t) => t.url === urls[k]);
          if (mine.length > 0)
            ids.push(
              ...(await rpcBatch<string>(
                urls[k]!,
                mine.map((t) => ["tx_v1_submit", [t.bytes]]),
              )),
            );
        }),
      );
    }
    let waiting = [...ids];
    while (waiting.length > 0 && Date.now() - c0 < 120_000) {
      const left: string[] = [];
      for (let i = 0; i < waiting.length; i += 1000) {
        const chunk = waiting.slice(i, i + 1000);
        const rs = await rpcBatch<unknown>(
          urls[0]!,
          chunk.map((id) => ["actor_v1_receipt", [id]]),
          true,
        );
        for (const [j, r] of rs.entries()) if (!r) left.push(chunk[j]!);
      }
      waiting = left;
      if (waiting.length > 0) await sleep(100);
    }
    const secs = (Date.now() - c0) / 1000;
    if (process.env.NET_BENCH_DEBUG)
      for (const u of urls) {
        const s = await rpc<Record<string, unknown>>(u, "net_v1_status");
        const { head, finalized, peers, txs, timing, refused } = s;
        console.error(JSON.stringify({ head, finalized, peers, txs, timing, refused }));
      }
    figures.push({
      name: "net.calls_per_s",
      value: Math.round((ids.length - waiting.length) / secs),
      unit: "calls/s",
      target: { min: 2000 },
      note: `${ids.length - waiting.length} of ${CALLS} signed calls canonicalised in ${secs.toFixed(1)} s (submission included), ${CORES} cores, ${SLOT_MS} ms slots`,
    });

    // 3. sync: wipe validator-3 and time it back to the others' head
    const net = JSON.parse(readFileSync(join(dir, "network.json"), "utf8")) as {
      nodes: Array<{ dataDir: string; pid: number }>;
    };
    process.kill(net.nodes[3]!.pid, "SIGKILL");
    await sleep(300);
    rmSync(join(net.nodes[3]!.dataDir, "chain"), { recursive: true, force: true });
    rmSync(join(net.nodes[3]!.dataDir, "node"), { recursive: true, force: true });
    const target = (await rpc<Status>(urls[0]!, "net_v1_status")).head.number;
    const again = await cli<{ nodes: Array<{ pid: number }> }>(["net", "up", "--dir", dir]);
    pids = again.nodes.map((n) => n.pid);
    const s0 = Date.now();
    while ((await rpc<Status>(urls[3]!, "net_v1_status")).head.number < target && Date.now() - s0 < 120_000)
      await sleep(100);
    const syncSecs = (Date.now() - s0) / 1000;
    figures.push({
      name: "net.sync_blocks_per_s",
      value: Math.round(target / syncSecs),
      unit: "blocks/s",
      note: `${target} blocks (${CALLS} calls among them) downloaded and re-executed in ${syncSecs.toFixed(1)} s after the node answered RPC`,
    });
  } finally {
    await cli(["net", "down", "--dir", dir]).catch(() => {});
    for (const p of pids) {
      try {
        process.kill(p, "SIGKILL");
      } catch {}
    }
    if (process.env.NET_BENCH_DEBUG) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  figures.push(...(await withCollators()));
  return figures;
};

/**
 * Issue 15: the same kind of load on 4 validators + 3 collator processes (PoVs built by the collators,
 * backed by the core's group of 2, included unexecuted by the author, applied on the statements by
 * the others), and the backing latency each validator measured (a collation's arrival → backed).
 */
async function withCollators(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "cpnet-bench-coll-"));
  const figures: Figure[] = [];
  const calls = Number(process.env.NET_BENCH_COLLATOR_CALLS ?? 4000);
  let pids: number[] = [];
  try {
    const up = await cli<{ nodes: Array<{ rpc: string; pid: number; role: string }> }>([
      "net",
      "up",
      "--validators",
      "4",
      "--collators",
      "3",
      "--slot-ms",
      "1000",
      "--cores",
      "2",
      "--dir",
      dir,
    ]);
    pids = up.nodes.map((n) => n.pid);
    const urls = up.nodes.filter((n) => n.role === "validator").map((n) => n.rpc);
    const st = () => Promise.all(urls.map((u) => rpc<Status>(u, "net_v1_status")));
    while ((await st()).some((s) => s.finalized.number < 2)) await sleep(250);
    const { codeHash } = await rpc<{ codeHash: string }>(urls[0]!, "code_v1_upload", [
      toHex(counterProgram()),
    ]);
    const actors: ActorId[] = [];
    for (let i = 0; i < 4; i++)
      actors.push((await rpc<{ actor: number }>(urls[0]!, "actor_v1_create", [codeHash])).actor as ActorId);
    const config = chainConfig({ cores: 2, callQueueCapacity: 4096 });
    const signers = Array.from({ length: 8 }, (_, i) => devKeypair(1 + i));
    const c0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < calls; i += 400) {
      const batch: Array<[string, unknown[]]> = [];
      for (let j = i; j < Math.min(calls, i + 400); j++) {
        const a = j % 8;
        const call = { tag: "Call" as const, value: { actor: actors[j % 4]!, input: Uint8Array.of(1) } };
        batch.push([
          "tx_v1_submit",
          [toHex(signTx(signers[a]!, { nonce: BigInt(Math.floor(j / 8)), call }, config))],
        ]);
      }
      ids.push(...(await rpcBatch<string>(urls[(i / 400) % 4]!, batch)));
    }
    let waiting = [...ids];
    while (waiting.length > 0 && Date.now() - c0 < 180_000) {
      const left: string[] = [];
      for (let i = 0; i < waiting.length; i += 1000) {
        const chunk = waiting.slice(i, i + 1000);
        const rs = await rpcBatch<unknown>(
          urls[0]!,
          chunk.map((id) => ["actor_v1_receipt", [id]]),
          true,
        );
        for (const [j, r] of rs.entries()) if (!r) left.push(chunk[j]!);
      }
      waiting = left;
      if (waiting.length > 0) await sleep(200);
    }
    const secs = (Date.now() - c0) / 1000;
    figures.push({
      name: "net.calls_per_s.collators",
      value: Math.round((ids.length - waiting.length) / secs),
      unit: "calls/s",
      target: { min: 2000 },
      note: `${ids.length - waiting.length} of ${calls} signed calls canonicalised in ${secs.toFixed(1)} s; 4 validators + 3 collator processes, 2 cores, 1000 ms slots (net.calls_per_s above: PoVs built in the authoring process)`,
    });
    const lat = (
      await Promise.all(urls.map((u) => rpc<{ backing: Record<string, number> }>(u, "net_v1_status")))
    )
      .map((s) => s.backing)
      .filter((b) => (b.backing_latency_samples ?? 0) > 0);
    figures.push({
      name: "net.pov_backing_latency_ms",
      value: median(lat.map((b) => b.backing_latency_ms_p50!)),
      unit: "ms",
      note: `median over validators of each one's median (collation arrival → backed); p99 ${Math.max(...lat.map((b) => b.backing_latency_ms_p99!))} ms; ${lat.reduce((n, b) => n + b.backing_latency_samples!, 0)} samples`,
    });
  } finally {
    await cli(["net", "down", "--dir", dir]).catch(() => {});
    for (const p of pids) {
      try {
        process.kill(p, "SIGKILL");
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
export default bench;
