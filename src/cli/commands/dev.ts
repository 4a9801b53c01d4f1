/** `coreplay dev`: a whole dev network in one process (DESIGN §9), like `anvil` or `dfx start`. */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { formatAccounts } from "../../node/accounts.ts";
import { createNodeApi } from "../../node/api.ts";
import { lockDataDir } from "../../node/data-dir-lock.ts";
import { deployExamples } from "../../node/examples.ts";
import { installInstrumentCache } from "../../node/instrument-cache.ts";
import { type BlockTime, createNode, DEFAULT_PRUNING } from "../../node/node.ts";
import { createDashboardMethods } from "../../rpc/dashboard-methods.ts";
import { createInterfaceMethods } from "../../rpc/interface-methods.ts";
import { createMethods } from "../../rpc/methods.ts";
import { createRpcServer } from "../../rpc/server.ts";
import { CliError, examples, progress, run } from "../util.ts";

interface DevOptions {
  port: string;
  host: string;
  dataDir: string;
  blockTime: string;
  cores: string;
  collators: string;
  validators: string;
  coreGas?: string;
  examples: boolean;
  fresh?: boolean;
  quiet?: boolean;
  dashboard?: string;
  pruning: string;
}

const int = (v: string, what: string, min: number): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min) {
    throw new CliError(`Invalid ${what}`, {
      code: "CLI_BAD_OPTION",
      details: JSON.stringify(v),
      hint: `use an integer ≥ ${min}`,
    });
  }
  return n;
};

export function parseBlockTime(v: string): BlockTime {
  if (v === "instant" || v === "manual") return v;
  return int(v, "--block-time", 1);
}

export function parsePruning(v: string): number | "archive" {
  if (v === "archive" || /^[1-9]\d*$/.test(v)) return v === "archive" ? v : Number(v);
  throw new CliError("Invalid --pruning", {
    code: "CLI_BAD_OPTION",
    details: JSON.stringify(v),
    hint: "use archive (keep every block), or the number of recent blocks to keep (1 or more)",
  });
}

/** `dashboard/dist` when built, else `dashboard/` (if it has an index.html). */
export function findDashboard(root: string): string | undefined {
  for (const d of [join(root, "dashboard", "dist"), join(root, "dashboard")]) {
    if (existsSync(join(d, "index.html"))) return d;
  }
  return undefined;
}

export function register(program: Command): void {
  const cmd = program
    .command("dev")
    .description(
      "run a dev network: relay chain, collators, validator pool, RPC and dashboard, on one machine",
    )
    .option("--port <port>", "RPC / dashboard port", "9944")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--data-dir <dir>", "where the chain is stored (LMDB); restart continues from it", ".coreplay")
    .option("--block-time <t>", "instant | manual | milliseconds per block", "1000")
    .option("--cores <n>", "cores per block (PoVs per block)", "4")
    .option("--collators <n>", "collators", "3")
    .option("--validators <n>", "validator worker threads", String(availableParallelism()))
    .option("--core-gas <gas>", "gas budget of a core per block")
    .option(
      "--pruning <depth>",
      "recent blocks that keep PoV bytes and block bodies, or archive to keep all",
      String(DEFAULT_PRUNING),
    )
    .option("--no-examples", "do not deploy the example actors on a fresh chain")
    .option("--fresh", "delete the data dir first")
    .option("--quiet", "no per-block lines")
    .option("--dashboard <dir>", "serve this directory at / instead of dashboard/");
  examples(cmd, [
    "coreplay dev",
    "coreplay dev --block-time instant --data-dir /tmp/chain",
    "coreplay dev --block-time 6000 --cores 8 --validators 4",
    "coreplay dev --fresh --no-examples --port 9955",
  ]);
  cmd.action(
    run(async (o: DevOptions) => {
      const port = int(o.port, "--port", 0);
      const blockTime = parseBlockTime(o.blockTime);
      const dataDir = resolve(o.dataDir);
      installInstrumentCache();
      if (o.fresh) {
        // never delete the data of a node that runs on it: take its lock first (refused when held)
        const lock = lockDataDir(dataDir);
        await rm(dataDir, { recursive: true, force: true });
        lock.release();
      }
      const node = await createNode({
        dataDir,
        blockTime,
        cores: int(o.cores, "--cores", 1),
        collators: int(o.collators, "--collators", 1),
        validators: int(o.validators, "--validators", 1),
        coreGas: o.coreGas === undefined ? undefined : BigInt(int(o.coreGas, "--core-gas", 1)),
        pruning: parsePruning(o.pruning),
      });
      const api = createNodeApi(node);
      let server: Awaited<ReturnType<typeof createRpcServer>>;
      try {
        server = await createRpcServer({
          port,
          host: o.host,
          methods: createMethods(api, { ...createDashboardMethods(node), ...createInterfaceMethods(api) }),
        });
      } catch (cause) {
        await node.stop();
        throw new CliError(`Cannot listen on ${o.host}:${port}`, {
          code: "CLI_PORT_IN_USE",
          details: (cause as Error).message,
          hint: "another node is probably running there: stop it, or pick another --port",
          cause,
        });
      }
      const dash = o.dashboard
        ? resolve(o.dashboard)
        : (findDashboard(process.cwd()) ??
          findDashboard(fileURLToPath(new URL("../../../", import.meta.url))));
      server.serveStatic(dash);

      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        progress("\nstopping ...");
        await server.close();
        await node.stop();
        process.exit(0);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);

      const head = node.chain.head();
      progress(formatAccounts(api.accounts()));
      progress("");
      progress(`Chain      ${dataDir} (head #${head.number}${head.number > 0 ? ", resumed" : ""})`);
      progress(
        `Network    ${node.options.cores} cores, ${node.options.collators} collators, ${node.options.validators} validator workers, block time ${blockTime}${typeof blockTime === "number" ? " ms" : ""}`,
      );
      progress(`RPC        ${server.url}  (ws://${o.host}:${server.port})`);
      progress(`Dashboard  ${dash ? server.url : "(not built: dashboard/ not found)"}`);
      // One machine-readable line for scripts and tests.
      process.stdout.write(
        `${JSON.stringify({ rpc: server.url, port: server.port, dataDir, head: head.number })}\n`,
      );

      if (!o.quiet) {
        node.subscribe((e) => {
          if (e.event !== "newBlock") return;
          const b = e.block;
          if (b.povs.length === 0 && b.extrinsics === 0 && b.dropped.length === 0) return;
          const calls = b.povs.reduce((n, p) => n + p.calls, 0);
          progress(
            `#${b.number}  ${b.extrinsics} txs  ${b.povs.length} PoVs [${b.povs.map((p) => p.actors.join("+")).join(" ")}]  ${calls} calls${b.dropped.length ? `  ${b.dropped.length} dropped` : ""}`,
          );
        });
      }
      if (o.examples && node.chain.actorIds().length === 0) {
        try {
          await deployExamples(api, progress);
        } catch (e) {
          progress(`could not deploy the examples: ${(e as Error).message}`);
        }
      }
    }),
  );
}
