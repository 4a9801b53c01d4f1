/**
 * A local network of `coreplay node` processes on loopback, like zombienet's native provider: the
 * folder layout, starting nodes in the background, and asking them for their status. `network.json`
 * in the folder records each node's ports, peer id and pid, so `net up` on an existing folder restarts
 * the nodes that are not running, on their data.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadOrCreateNodeKey, peerIdOf } from "../../net/identity.ts";
import { createClient } from "../../rpc/client.ts";
import { CliError } from "../util.ts";

export interface NetNodeRecord {
  name: string;
  role: "validator" | "collator";
  key: string;
  dataDir: string;
  host: string;
  p2pPort: number;
  rpcPort: number;
  peerId: string;
  pid?: number;
  /** More `coreplay node` flags for this node (e.g. a test's `--test-corrupt-povs`). */
  extraArgs?: string[];
}

export interface NetworkFile {
  spec: string;
  nodes: NetNodeRecord[];
}

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../../../bin/coreplay.js");

/** A free TCP port on `host` (bound, then released). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => ok(port));
    });
  });
}

export const networkFile = (dir: string) => join(dir, "network.json");

export function readNetwork(dir: string): NetworkFile {
  const p = networkFile(dir);
  if (!existsSync(p))
    throw new CliError("No network in this folder", {
      code: "CLI_NO_NETWORK",
      details: `${p} does not exist`,
      hint: "start one with `coreplay net up --validators 4 --dir DIR`",
    });
  return JSON.parse(readFileSync(p, "utf8")) as NetworkFile;
}

export const writeNetwork = (dir: string, n: NetworkFile) =>
  writeFileSync(networkFile(dir), `${JSON.stringify(n, null, 2)}\n`);

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a killed node whose parent is gone may linger as a zombie where nothing reaps it
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

export const multiaddrOf = (r: NetNodeRecord) => `/ip4/${r.host}/tcp/${r.p2pPort}/p2p/${r.peerId}`;

/** Makes the data dirs and node identities of a fresh network (peer ids known before any start). */
export async function planNodes(
  dir: string,
  names: string[],
  role: NetNodeRecord["role"] = "validator",
): Promise<NetNodeRecord[]> {
  const out: NetNodeRecord[] = [];
  for (const name of names) {
    const dataDir = join(dir, "nodes", name);
    mkdirSync(dataDir, { recursive: true });
    const key = await loadOrCreateNodeKey(dataDir);
    out.push({
      name,
      role,
      key: join(dir, "keys", `${name}.json`),
      dataDir,
      host: "127.0.0.1",
      p2pPort: await freePort(),
      rpcPort: await freePort(),
      peerId: peerIdOf(key),
    });
  }
  return out;
}

/** Starts one node in the background (detached; its output in `<dataDir>/node.log`). */
export function startNode(
  spec: string,
  r: NetNodeRecord,
  all: NetNodeRecord[],
  extraArgs: string[] = [],
): number {
  const log = openSync(join(r.dataDir, "node.log"), "a");
  const child = spawn(
    process.execPath,
    [
      BIN,
      "node",
      "--chain",
      spec,
      "--key",
      r.key,
      "--data-dir",
      r.dataDir,
      "--listen",
      `/ip4/${r.host}/tcp/${r.p2pPort}`,
      "--bootnodes",
      all
        .filter((o) => o.name !== r.name)
        .map(multiaddrOf)
        .join(","),
      "--rpc-port",
      String(r.rpcPort),
      "--name",
      r.name,
      ...(r.role === "collator" ? ["--collator"] : []),
      ...(r.extraArgs ?? []),
      ...extraArgs,
    ],
    { detached: true, stdio: ["ignore", log, log] },
  );
  child.unref();
  return child.pid!;
}

export const rpcUrl = (r: NetNodeRecord) => `http://127.0.0.1:${r.rpcPort}`;

/** Waits until every node answers `net_v1_status` (or `timeoutMs` passes). */
export async function waitRpc(nodes: NetNodeRecord[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (const r of nodes) {
    const c = createClient(rpcUrl(r));
    for (;;) {
      try {
        await c.request("net_v1_status");
        break;
      } catch {
        if (!alive(r.pid))
          throw new CliError(`Node ${r.name} exited`, {
            code: "CLI_NODE_EXITED",
            details: `see ${join(r.dataDir, "node.log")}`,
          });
        if (Date.now() > until)
          throw new CliError(`Node ${r.name} does not answer RPC`, {
            code: "CLI_TIMEOUT",
            details: `${rpcUrl(r)} after ${timeoutMs} ms; see ${join(r.dataDir, "node.log")}`,
          });
        await new Promise((ok) => setTimeout(ok, 200));
      }
    }
  }
}
