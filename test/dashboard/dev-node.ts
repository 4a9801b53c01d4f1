/**
 * Starts the real `coreplay dev` as a child process on a free port with a temp data dir, and the
 * Debian Chromium for playwright-core. Shared by the dashboard's browser test and its screenshot script.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CHROMIUM = "/usr/bin/chromium";

export interface DevNode {
  url: string;
  port: number;
  dataDir: string;
  /** Everything the node printed on stderr (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * @example
 * const node = await startDevNode(["--block-time", "manual", "--no-examples"]);
 * await node.stop();
 */
export async function startDevNode(args: string[], timeoutMs = 600_000): Promise<DevNode> {
  const dataDir = await mkdtemp(join(tmpdir(), "coreplay-dash-"));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, "bin/coreplay.js"),
      "dev",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      "--dashboard",
      join(ROOT, "dashboard"),
      ...args,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let err = "";
  let out = "";
  child.stderr!.on("data", (c: Buffer) => {
    err += c.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const started = await new Promise<{ rpc: string; port: number }>((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`coreplay dev did not start in ${timeoutMs} ms:\n${err}`)),
      timeoutMs,
    );
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      for (const line of out.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const j = JSON.parse(line) as { rpc: string; port: number };
          clearTimeout(timer);
          ok(j);
        } catch {
          // a partial line: wait for the rest
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`coreplay dev exited with ${code} before listening:\n${err}`));
    });
  });
  return {
    url: started.rpc,
    port: started.port,
    dataDir,
    log: () => err,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once("exit", ok));
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(t);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The command that installs the browser the way .ci/run does. */
export const INSTALL_CHROMIUM = "apt-get update && apt-get install -y chromium";
/** Set to 1 (as .ci/run does) to make a missing browser fail the browser tests instead of skipping them. */
export const REQUIRE_BROWSER_ENV = "COREPLAY_REQUIRE_BROWSER";

export type BrowserPlan = { run: true; executablePath: string } | { run: false; reason: string };

/**
 * Whether the browser tests run: when Chromium is where .ci/run installs it, or when the environment
 * requires them (then a missing browser fails loudly in {@link launchChromium}). Otherwise they are
 * skipped, saying how to install it: `npm test` on a fresh machine passes without a browser.
 *
 * @example const plan = browserPlan(process.env); describe.skipIf(!plan.run)("…", …);
 */
export function browserPlan(
  env: Record<string, string | undefined>,
  exists: (path: string) => boolean = existsSync,
  executablePath = CHROMIUM,
): BrowserPlan {
  if (exists(executablePath) || env[REQUIRE_BROWSER_ENV] === "1") return { run: true, executablePath };
  return {
    run: false,
    reason:
      `no Chromium at ${executablePath}; install it with \`${INSTALL_CHROMIUM}\` ` +
      `(${REQUIRE_BROWSER_ENV}=1 makes this a failure, as in .ci/run)`,
  };
}

/** Launches Debian's Chromium; fails loudly (never skips) when it is not installed. */
export async function launchChromium(executablePath = CHROMIUM): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `${executablePath} is missing: the dashboard's browser test needs Debian's Chromium. ` +
        `Install it with \`${INSTALL_CHROMIUM}\` (.ci/run does this).`,
    );
  }
  return chromium.launch({
    executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
