/**
 * `coreplay net up|down|status`: a local network of validator processes on loopback (DESIGN §11), in
 * the background, like zombienet's native provider. `up` on an existing folder restarts the nodes that
 * are not running, on their data.
 */
import "../../net/polyfill.ts";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { createClient } from "../../rpc/client.ts";
import {
  alive,
  networkFile,
  planNodes,
  readNetwork,
  rpcUrl,
  startNode,
  waitRpc,
  writeNetwork,
} from "../net/local.ts";
import { CliError, examples, output, progress, run } from "../util.ts";
import { makeSpec } from "./chain-spec.ts";

interface UpOptions {
  validators: string;
  collators: string;
  dir: string;
  slotMs: string;
  cores: string;
  rotation: string;
  testCorruptPovs?: string;
  json?: boolean;
}

const nodeJson = (r: { name: string; role: string; rpcPort: number; peerId: string; pid?: number }) => ({
  name: r.name,
  role: r.role,
  rpc: `http://127.0.0.1:${r.rpcPort}`,
  peerId: r.peerId,
  pid: r.pid,
});

export function register(program: Command): void {
  const net = program.command("net").description("a local network of validator processes on loopback");
  const up = net
    .command("up")
    .description("start (or restart) a local network in the background; prints each node's RPC URL")
    .option("--validators <n>", "validators (a fresh network)", "4")
    .option(
      "--collators <n>",
      "collator processes (their keys in the spec; issue 15): they build the PoVs, the validators back them",
      "0",
    )
    .option("--dir <dir>", "the network's folder", ".coreplay-net")
    .option("--slot-ms <ms>", "Aura slot length", "1000")
    .option("--cores <n>", "cores per block", "2")
    .option("--rotation <blocks>", "blocks between rotations of the backing groups", "10")
    .option(
      "--test-corrupt-povs <names>",
      "tests only: collators (comma-separated names) that forge their PoVs",
    )
    .option("--json", "machine-readable output");
  examples(up, [
    "coreplay net up --validators 4 --collators 3 --cores 2 --dir /tmp/net --json",
    "coreplay net up --validators 4 --dir /tmp/net --json",
    "coreplay net up --dir /tmp/net   # restarts stopped nodes",
  ]);
  up.action(
    run(async (o: UpOptions) => {
      const dir = resolve(o.dir);
      const fresh = !existsSync(networkFile(dir));
      if (fresh) {
        const validators = Number(o.validators);
        if (!Number.isInteger(validators) || validators < 1)
          throw new CliError("Invalid --validators", {
            code: "CLI_BAD_OPTION",
            details: o.validators,
            hint: "use 1 or more",
          });
        const spec = makeSpec({
          validators,
          collators: Number(o.collators) || 0,
          slotMs: Number(o.slotMs) || 1000,
          cores: Number(o.cores) || 2,
          keysDir: join(dir, "keys"),
        });
        spec.rotation = Number(o.rotation) || 10;
        const specPath = join(dir, "spec.json");
        writeFileSync(specPath, `${JSON.stringify(spec, null, 2)}\n`);
        const nodes = [
          ...(await planNodes(
            dir,
            spec.validators.map((v) => v.name),
          )),
          ...(await planNodes(
            dir,
            spec.collators.map((c) => c.name),
            "collator",
          )),
        ];
        const corrupt = new Set((o.testCorruptPovs ?? "").split(",").filter((x) => x.length > 0));
        for (const r of nodes) if (corrupt.has(r.name)) r.extraArgs = ["--test-corrupt-povs"];
        writeNetwork(dir, { spec: specPath, nodes });
      }
      const network = readNetwork(dir);
      const started = [];
      for (const r of network.nodes) {
        if (alive(r.pid)) continue;
        r.pid = startNode(network.spec, r, network.nodes);
        started.push(r.name);
      }
      writeNetwork(dir, network);
      progress(started.length > 0 ? `started ${started.join(", ")}` : "every node is running");
      await waitRpc(network.nodes, 90_000);
      output(o, { nodes: network.nodes.map(nodeJson) }, () =>
        [
          ...network.nodes.map((r) => `${r.name}  ${rpcUrl(r)}  ${r.peerId}  pid ${r.pid}`),
          `dashboard  ${rpcUrl(network.nodes[0]!)}/network.html?nodes=${network.nodes.map(rpcUrl).join(",")}`,
        ].join("\n"),
      );
    }),
  );

  const status = net
    .command("status")
    .description("each node's RPC URL, head and finalised block")
    .option("--dir <dir>", "the network's folder", ".coreplay-net")
    .option("--json", "machine-readable output");
  status.action(
    run(async (o: { dir: string; json?: boolean }) => {
      const network = readNetwork(resolve(o.dir));
      const nodes = await Promise.all(
        network.nodes.map(async (r) => {
          const base = { ...nodeJson(r), running: alive(r.pid) };
          try {
            const s = await createClient(rpcUrl(r)).request<{
              head: { number: number };
              finalized: { number: number };
              peers: number;
            }>("net_v1_status");
            return { ...base, head: s.head.number, finalized: s.finalized.number, peers: s.peers };
          } catch {
            return { ...base, head: null, finalized: null, peers: null };
          }
        }),
      );
      output(o, { nodes }, () =>
        nodes
          .map(
            (x) =>
              `${x.name}  ${x.running ? "up  " : "down"}  head #${x.head ?? "-"}  final #${x.finalized ?? "-"}  peers ${x.peers ?? "-"}  ${x.rpc}`,
          )
          .join("\n"),
      );
    }),
  );

  const down = net
    .command("down")
    .description("stop every node of the network (their data stays)")
    .option("--dir <dir>", "the network's folder", ".coreplay-net")
    .option("--json", "machine-readable output");
  down.action(
    run(async (o: { dir: string; json?: boolean }) => {
      const dir = resolve(o.dir);
      const network = readNetwork(dir);
      const stopped: string[] = [];
      for (const r of network.nodes) {
        if (!alive(r.pid)) continue;
        process.kill(r.pid!, "SIGTERM");
        stopped.push(r.name);
      }
      const until = Date.now() + 10_000;
      while (network.nodes.some((r) => alive(r.pid)) && Date.now() < until)
        await new Promise((ok) => setTimeout(ok, 100));
      for (const r of network.nodes) if (alive(r.pid)) process.kill(r.pid!, "SIGKILL");
      for (const r of network.nodes) r.pid = undefined;
      writeNetwork(dir, network);
      output(o, { stopped }, () =>
        stopped.length > 0 ? `stopped ${stopped.join(", ")}` : "nothing was running",
      );
    }),
  );
}
