/**
 * A real `coreplay dev` as a child process, for the end-to-end tests: a free port, a temp data dir,
 * the CLI and the RPC against it, a SIGKILL and a restart on the same data dir.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(ROOT, "bin", "coreplay.js");
const run = promisify(execFile);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A `0x…` hex string's bytes. */
export const out = (h: string) => Buffer.from(h.slice(2), "hex");

/** A port the OS says is free now (port 0, then closed). */
export async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
}

/** Polls `f` every 300 ms until `ok` holds for its value; throws with the last value after `ms`. */
export async function until<T>(
  what: string,
  f: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await sleep(300);
  }
}

/**
 * Calls a counter example (`0x01`: increment, replies the u64 count) `n` times and returns each count
 * (or undefined for a failed call), so a test can expect 1, 2, 3.
 */
export async function incrementCounter(
  node: ChildNode,
  actor: number,
  n: number,
): Promise<(bigint | undefined)[]> {
  const counts: (bigint | undefined)[] = [];
  for (let i = 0; i < n; i++) {
    const r = await node.call(actor, "0x01");
    counts.push(r.ok ? out(r.output).readBigUInt64LE(0) : undefined);
  }
  return counts;
}

export interface ChildNode {
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  /** Everything the node wrote to stderr, across restarts. */
  log(): string;
  /** Spawns the node (again, on the same data dir); resolves once it printed its `rpc` line. */
  start(): Promise<void>;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** Runs the CLI with `--url` and `--json` against the node; returns the parsed stdout. */
  cli<T = Record<string, unknown>>(...args: string[]): Promise<T>;
  /** `coreplay call <actor> <data> --wait`. */
  call(actor: number, data: string): Promise<{ ok: boolean; output: string }>;
  /** One JSON-RPC request; throws the RPC error. */
  rpc<T>(method: string, params?: unknown[]): Promise<T>;
  /** Kills the node and removes its data dir (for `afterAll`). */
  close(): void;
}

/**
 * A dev node to be started with `start()`: `coreplay dev --port P --data-dir D --block-time <blockTime>
 * --no-examples` and `args`.
 *
 * @example const node = await childNode({ prefix: "cp-e2e-", args: ["--validators", "2"] }); await node.start();
 */
export async function childNode(opts: {
  /** The temp data dir's name prefix (say which test made it). */
  prefix: string;
  blockTime?: "instant" | "manual";
  args?: string[];
  startMs?: number;
}): Promise<ChildNode> {
  const dataDir = mkdtempSync(join(tmpdir(), opts.prefix));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let log = "";
  const argv = [BIN, "dev", "--port", String(port), "--data-dir", dataDir];
  argv.push("--block-time", opts.blockTime ?? "instant", "--no-examples", ...(opts.args ?? []));

  async function start(): Promise<void> {
    const c = spawn(process.execPath, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    c.stderr?.on("data", (d) => {
      log += d;
    });
    await new Promise<void>((ok, fail) => {
      let buf = "";
      const t = setTimeout(() => fail(new Error(`node did not start:\n${log}`)), opts.startMs ?? 170_000);
      c.stdout?.on("data", (d) => {
        buf += d;
        if (buf.includes('"rpc"')) {
          clearTimeout(t);
          ok();
        }
      });
      c.once("exit", (code) => fail(new Error(`node exited (${code}):\n${log}`)));
    });
  }

  async function cli<T>(...args: string[]): Promise<T> {
    const { stdout } = await run(process.execPath, [BIN, ...args, "--url", url, "--json"], {
      cwd: ROOT,
      timeout: 90_000,
    });
    return JSON.parse(stdout) as T;
  }

  return {
    port,
    url,
    dataDir,
    log: () => log,
    start,
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      await gone;
    },
    cli,
    call: (actor, data) => cli<{ ok: boolean; output: string }>("call", String(actor), data, "--wait"),
    async rpc<T>(method: string, params: unknown[] = []): Promise<T> {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      });
      const j = (await res.json()) as { result?: T; error?: unknown };
      if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
      return j.result as T;
    },
    close() {
      child?.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
