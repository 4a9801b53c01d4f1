/**
 * `npm run soak [-- --minutes N]`: mixed load against a real `coreplay dev` child process for N minutes
 * (default 10), sampling the node's RSS, block interval and data-dir size (issue 13, "Must show"). Not
 * part of `npm test`. Fails (exit 1) if RSS or the block interval grows without bound: the last third's
 * median against the first third's. It measures and does not fix: a non-yielding actor's cost and a
 * memory-hungry actor's PoV size are the collator's and the chain's to bound.
 *
 * The load: calls (with and without waiting for receipts), client-signed transactions, live
 * subscriptions read by a client, one client that subscribes to everything and stops reading, one
 * actor whose `main` never yields, one whose `main` grows its memory to `--hungry-mib` and touches it.
 * Prints a line per sample on stderr and the summary as one JSON line on stdout.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { signTx } from "../src/chain/tx.ts";
import { toHex } from "../src/codec/bytes.ts";
import type { ActorId } from "../src/codec/ids.ts";
import { devKeypair } from "../src/crypto/ed25519.ts";
import { createClient } from "../src/rpc/client.ts";
import type { BlockJson, ChainEvent } from "../src/rpc/types.ts";
import { programFromWat } from "../src/vm/testing.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const minutes = Number(opt("minutes", "10"));
const blockTime = opt("block-time", "500");
const pruning = opt("pruning", "32");
const hungryMib = Number(opt("hungry-mib", "64"));
const sampleMs = Number(opt("sample-ms", "5000"));
if (!(minutes > 0) || !(hungryMib >= 1 && hungryMib <= 4095) || !(sampleMs >= 100)) {
  process.stderr.write(
    "usage: npm run soak -- [--minutes N] [--block-time ms] [--pruning depth] [--hungry-mib N]\n",
  );
  process.exit(2);
}

const counterWat = `(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "main"))
  (func (export "call") (param $origin i64) (result i32)
    (drop (call $input (i32.const 32) (i32.const 1)))
    (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
    (call $reply (i32.const 0) (i32.const 8))
    (i32.const 0)))`;
/** `main` loops and never yields: it takes whatever budget a core gives it, every block. */
const hogWat = `(module
  (memory (export "memory") 1)
  (func (export "main") (loop $l (br $l)))
  (func (export "call") (param $origin i64) (result i32) (i32.const 0)))`;
/** `main` grows memory by `pages` 64 KiB pages, then writes every page and yields, forever. */
const hungryWat = (pages: number) => `(module
  (import "coreplay" "yield" (func $yield))
  (memory (export "memory") 1)
  (func (export "main") (local $p i32) (local $n i32) (local $end i32)
    (drop (memory.grow (i32.const ${pages - 1})))
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (loop $l
      (local.set $p (i32.const 0))
      (loop $t
        (i32.store (local.get $p) (local.get $n))
        (local.set $p (i32.add (local.get $p) (i32.const 65536)))
        (br_if $t (i32.lt_u (local.get $p) (local.get $end))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (call $yield)
      (br $l)))
  (func (export "call") (param $origin i64) (result i32) (i32.const 0)))`;

interface Sample {
  t: number;
  rssMb: number;
  dataDirMb: number;
  head: number;
  /** Median block interval over the blocks of this sample, ms (undefined: no block). */
  intervalMs?: number;
  blocks: number;
  calls: number;
  txs: number;
  errors: number;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};
/** Bytes on disk (allocated blocks, as `du`; LMDB files are sparse). */
function diskBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += diskBytes(p);
    else if (e.isFile()) n += statSync(p).blocks * 512;
  }
  return n;
}

async function startNode(
  dataDir: string,
): Promise<{ child: ChildProcess; url: string; port: number; log: () => string }> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "bin/coreplay.js"),
      "dev",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      "--block-time",
      blockTime,
      "--pruning",
      pruning,
      "--no-examples",
      "--quiet",
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let err = "";
  child.stderr!.on("data", (c: Buffer) => {
    err = (err + c.toString()).slice(-20_000);
  });
  const started = await new Promise<{ rpc: string; port: number }>((ok, fail) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      for (const line of out.split("\n"))
        if (line.startsWith("{") && line.endsWith("}")) ok(JSON.parse(line));
    });
    child.once("exit", (code) => fail(new Error(`coreplay dev exited with ${code}:\n${err}`)));
  });
  return { child, url: started.rpc, port: started.port, log: () => err };
}

const dataDir = await mkdtemp(join(tmpdir(), "coreplay-soak-"));
const node = await startNode(dataDir);
const pid = node.child.pid!;
const client = createClient(node.url);
const counters = { calls: 0, txs: 0, errors: 0, events: 0 };
const errorKinds = new Map<string, number>();
const failed = (e: unknown) => {
  counters.errors++;
  const x = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const cause = x.cause?.code ?? x.cause?.message?.slice(0, 40);
  const k = `${x.code ?? x.message?.slice(0, 60) ?? String(e)}${cause ? ` (${cause})` : ""}`;
  errorKinds.set(k, (errorKinds.get(k) ?? 0) + 1);
};

process.stderr.write(
  `soak: ${minutes} min against ${node.url} (pid ${pid}, block time ${blockTime} ms, pruning ${pruning}, data ${dataDir})\n`,
);
const deploy = async (wat: string, name: string): Promise<ActorId> => {
  const { codeHash } = await client.code.upload(programFromWat(wat, { name }));
  return (await client.actor.create(codeHash)).actor as ActorId;
};
const counter = await deploy(counterWat, "counter");
const hog = await deploy(hogWat, "hog");
const hungry = await deploy(hungryWat(Math.round(hungryMib * 16)), "hungry");
process.stderr.write(`soak: actors counter ${counter}, hog ${hog}, hungry ${hungry} (${hungryMib} MiB)\n`);

const t0 = Date.now();
// Subscriptions a client reads: block times come from here.
const blockTimes: number[] = [];
let lastBlock: BlockJson | undefined;
const follower = createClient(node.url);
await follower.chain.follow((e: ChainEvent) => {
  counters.events++;
  if (e.event === "newBlock") {
    blockTimes.push(Date.now());
    lastBlock = e.block;
  }
});
await follower.actor.follow(counter, () => counters.events++);

// The slow client: subscribes to everything, then never reads again.
const slow = new WebSocket(node.url.replace("http", "ws"));
await new Promise((ok, fail) => slow.once("open", ok).once("error", fail));
let slowClosed: { atS: number; code: number } | false = false;
slow.on("close", (code: number) => {
  slowClosed = { atS: Math.round((Date.now() - t0) / 1000), code };
});
slow.on("error", () => {});
for (const [i, [m, p]] of (
  [
    ["chain_v1_follow", []],
    ["actor_v1_follow", [counter]],
    ["actor_v1_follow", [hog]],
    ["actor_v1_follow", [hungry]],
  ] as const
).entries()) {
  slow.send(JSON.stringify({ jsonrpc: "2.0", id: i + 1, method: m, params: p }));
}
await sleep(200);
(slow as unknown as { _socket: { pause(): void } })._socket.pause();

const deadline = t0 + minutes * 60_000;
let running = true;
// Calls: a steady stream without waiting, and one caller that waits for each receipt.
const callLoop = async () => {
  while (running) {
    await Promise.all(
      Array.from({ length: 10 }, () =>
        client.actor.call(counter, "0x01").then(() => counters.calls++, failed),
      ),
    );
    await sleep(100);
  }
};
const waitLoop = async () => {
  while (running) {
    await client.actor.callAndWait(counter, "0x02", 60_000).then(() => counters.calls++, failed);
  }
};
// Client-signed transactions from dev account 1, nonces counted here.
const txLoop = async () => {
  const key = devKeypair(1);
  const p = await client.tx.prepare(toHex(key.publicKey));
  const fees = { baseFee: BigInt(p.baseFee), feePerByte: BigInt(p.feePerByte) };
  let nonce = BigInt(p.nonce);
  while (running) {
    const batch = Array.from({ length: 5 }, () =>
      toHex(
        signTx(
          key,
          { nonce: nonce++, call: { tag: "Call", value: { actor: counter, input: Uint8Array.of(3) } } },
          fees,
        ),
      ),
    );
    const r = await Promise.allSettled(batch.map((b) => client.tx.submit(b)));
    for (const x of r) {
      if (x.status === "fulfilled") counters.txs++;
      else failed(x.reason);
    }
    if (r.some((x) => x.status === "rejected"))
      nonce = BigInt((await client.tx.prepare(toHex(key.publicKey))).nonce);
    await sleep(200);
  }
};
const loops = [callLoop(), waitLoop(), txLoop()].map((l) => l.catch(failed));

const samples: Sample[] = [];
let seenBlocks = 0;
let seen = { calls: 0, txs: 0, errors: 0 };
while (Date.now() < deadline && node.child.exitCode === null) {
  await sleep(sampleMs);
  if (node.child.exitCode !== null) break;
  const times = blockTimes.slice(Math.max(0, seenBlocks - 1));
  const intervals = times.slice(1).map((t, i) => t - times[i]!);
  const s: Sample = {
    t: Math.round((Date.now() - t0) / 1000),
    rssMb: Math.round(rssMb(pid)),
    dataDirMb: Math.round(diskBytes(dataDir) / 2 ** 20),
    head: lastBlock?.number ?? 0,
    intervalMs: intervals.length ? Math.round(median(intervals)) : undefined,
    blocks: blockTimes.length - seenBlocks,
    calls: counters.calls - seen.calls,
    txs: counters.txs - seen.txs,
    errors: counters.errors - seen.errors,
  };
  seenBlocks = blockTimes.length;
  seen = { calls: counters.calls, txs: counters.txs, errors: counters.errors };
  samples.push(s);
  process.stderr.write(
    `t=${s.t}s rss=${s.rssMb}MB data=${s.dataDirMb}MB head=#${s.head} interval=${s.intervalMs ?? "-"}ms blocks=${s.blocks} calls=${s.calls} txs=${s.txs} errors=${s.errors} slowClient=${slowClosed ? `closed at ${slowClosed.atS}s (${slowClosed.code})` : "connected"}\n`,
  );
}
running = false;
const end = Date.now();
const alive = node.child.exitCode === null;
let answering = false;
if (alive)
  answering = await client.chain.head().then(
    () => true,
    () => false,
  );
const state = alive ? await client.actor.state(hog).catch(() => undefined) : undefined;
await Promise.race([Promise.all(loops), sleep(5000)]);
slow.terminate();
await client.close();
await follower.close();
if (alive) {
  const exited = new Promise((ok) => node.child.once("exit", ok));
  node.child.kill("SIGTERM");
  const t = setTimeout(() => node.child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(t);
}
await rm(dataDir, { recursive: true, force: true });

// The verdict: last third against first third (the first sample is warm-up and left out).
const body = samples.slice(1);
const third = Math.max(1, Math.floor(body.length / 3));
const first = body.slice(0, third);
const last = body.slice(-third);
/** Median interval of the blocks announced in `[from, to)` (each block's interval since the one before). */
function intervalsIn(from: number, to: number): number {
  const xs: number[] = [];
  for (let i = 1; i < blockTimes.length; i++) {
    if (blockTimes[i]! >= from && blockTimes[i]! < to) xs.push(blockTimes[i]! - blockTimes[i - 1]!);
  }
  return Math.round(median(xs));
}
const thirdInterval = (k: number) => intervalsIn(t0 + (k * (end - t0)) / 3, t0 + ((k + 1) * (end - t0)) / 3);
const med = (xs: Sample[], k: "rssMb" | "intervalMs" | "dataDirMb") =>
  median(xs.map((s) => s[k]).filter((v): v is number => v !== undefined));
const figures = {
  minutes,
  samples: samples.length,
  blocks: blockTimes.length,
  calls: counters.calls,
  txs: counters.txs,
  events: counters.events,
  errors: counters.errors,
  errorKinds: Object.fromEntries(errorKinds),
  slowClient: slowClosed || "connected",
  hogSequence: state?.sequence,
  rssMb: { first: med(first, "rssMb"), last: med(last, "rssMb"), max: Math.max(...body.map((s) => s.rssMb)) },
  intervalMs: { first: thirdInterval(0), last: thirdInterval(2), all: intervalsIn(t0, end) },
  dataDirMb: {
    first: med(first, "dataDirMb"),
    last: med(last, "dataDirMb"),
    max: Math.max(...body.map((s) => s.dataDirMb)),
  },
};
// Growth without bound: RSS up by half plus 64 MB of slack, or the interval doubled plus 250 ms.
const problems: string[] = [];
if (!alive) problems.push(`the node exited (${node.child.exitCode}): ${node.log().slice(-2000)}`);
else if (!answering) problems.push("the node stopped answering chain_v1_head");
if (body.length < 3) problems.push("too few samples: run longer (--minutes)");
if (figures.rssMb.last > figures.rssMb.first * 1.5 + 64)
  problems.push(
    `RSS grew: ${figures.rssMb.first} → ${figures.rssMb.last} MB (median of first vs last third)`,
  );
if (Number.isNaN(figures.intervalMs.first) || Number.isNaN(figures.intervalMs.last))
  problems.push("no block in the first or last third: run longer (--minutes)");
else if (figures.intervalMs.last > figures.intervalMs.first * 2 + 250)
  problems.push(`the block interval grew: ${figures.intervalMs.first} → ${figures.intervalMs.last} ms`);
process.stdout.write(
  `${JSON.stringify({ ok: problems.length === 0, problems, ...figures, series: samples })}\n`,
);
process.stderr.write(problems.length ? `soak FAILED:\n- ${problems.join("\n- ")}\n` : "soak passed\n");
process.exit(problems.length ? 1 : 0);
