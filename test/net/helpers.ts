/** Shared helpers for the network tests: the `coreplay` CLI as a process, JSON-RPC calls, polling. */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";

export const BIN = resolve(import.meta.dirname, "../../bin/coreplay.js");
const exec = promisify(execFile);

export interface UpNode {
  name: string;
  role: string;
  rpc: string;
  peerId: string;
  pid: number;
}

/** Runs `coreplay ARGS --json` and parses its stdout. */
export async function cli<T>(args: string[], timeoutMs = 120_000): Promise<T> {
  const { stdout, stderr } = await exec(process.execPath, [BIN, ...args, "--json"], { timeout: timeoutMs });
  const last = stdout.trim().split("\n").pop() ?? "";
  // an empty answer is a failure of the command: say what it printed instead of a JSON parse error
  if (last === "")
    throw new Error(`coreplay ${args.join(" ")} printed no JSON; stderr: ${stderr.slice(-2000)}`);
  return JSON.parse(last) as T;
}

let id = 0;
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    // generous: on a loaded 2-core machine a busy node may take seconds to answer
    signal: AbortSignal.timeout(15_000),
  });
  const j = (await res.json()) as { result?: T; error?: { message: string } };
  if (j.error) throw new Error(`${method}: ${j.error.message}`);
  return j.result as T;
}

export interface BlockJson {
  number: number;
  hash: string;
  stateRoot: string;
  author: number;
  slot: string;
}
export interface StatusJson {
  head: { number: number; hash: string };
  finalized: { number: number; hash: string };
  genesis: string;
  peers: number;
  refused: Record<string, number>;
  equivocations: unknown[];
  peerScores: Array<{ peerId: string; score: number; banned: boolean; lastOffence?: string }>;
  txs: { received: number; duplicates: number; announced: number; refused: number; pool: number };
}

export const status = (url: string) => rpc<StatusJson>(url, "net_v1_status");
export const block = (url: string, n: number) => rpc<BlockJson>(url, "chain_v1_block", [n]);

/** Polls `cond` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  cond: () => Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((ok) => setTimeout(ok, 250));
  }
}

export const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

export function kill9(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Finalised numbers of the nodes that answer. */
export async function finalizedOf(urls: string[]): Promise<number[]> {
  return Promise.all(urls.map(async (u) => (await status(u)).finalized.number));
}

/** Every node's block at each height 1..upTo: same hash and state root (throws naming the first split). */
export async function sameChain(urls: string[], from: number, upTo: number): Promise<Map<number, string>> {
  const hashes = new Map<number, string>();
  const heights = Array.from({ length: Math.max(0, upTo - from + 1) }, (_, i) => from + i);
  for (let i = 0; i < heights.length; i += 25) {
    await Promise.all(
      heights.slice(i, i + 25).map(async (n) => {
        const bs = await Promise.all(urls.map((u) => block(u, n)));
        for (const b of bs) {
          if (b.hash !== bs[0]!.hash || b.stateRoot !== bs[0]!.stateRoot)
            throw new Error(
              `nodes disagree at #${n}: ${bs.map((x) => `${x.hash.slice(0, 10)}/${x.stateRoot.slice(0, 10)}`).join(" ")}`,
            );
        }
        hashes.set(n, bs[0]!.hash);
      }),
    );
  }
  return hashes;
}

export interface NetworkFile {
  spec: string;
  nodes: Array<{
    name: string;
    key: string;
    dataDir: string;
    host: string;
    p2pPort: number;
    rpcPort: number;
    peerId: string;
    pid?: number;
  }>;
}
