/**
 * `coreplay node`: one node of a real network (DESIGN §11): a validator that authors on its Aura slots,
 * imports and re-executes the others' blocks, votes for finality, syncs from its peers, and serves RPC.
 */
import "../../net/polyfill.ts";
import { resolve } from "node:path";
import type { Command } from "commander";
import { createNetworkNode } from "../../net/node.ts";
import { readKeyFile, readSpec } from "../../net/spec.ts";
import { createNodeApi } from "../../node/api.ts";
import { installInstrumentCache } from "../../node/instrument-cache.ts";
import { createDashboardMethods } from "../../rpc/dashboard-methods.ts";
import { createMethods } from "../../rpc/methods.ts";
import { createNetMethods, DEV_ONLY_METHODS } from "../../rpc/net-methods.ts";
import { createRpcServer } from "../../rpc/server.ts";
import { CliError, examples, progress, run } from "../util.ts";
import { findDashboard } from "./dev.ts";

interface NodeCliOptions {
  chain: string;
  key: string;
  dataDir: string;
  listen: string;
  bootnodes: string;
  rpcPort: string;
  rpcHost: string;
  name?: string;
  validatorWorkers: string;
  collator?: boolean;
  testCorruptPovs?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command("node")
    .description("run one validator node of a network (libp2p), with its RPC")
    .requiredOption("--chain <spec.json>", "the chain spec (coreplay chain-spec)")
    .requiredOption("--key <file>", "this validator's key file (keys/validator-N.json)")
    .option("--data-dir <dir>", "where the chain and the node's identity are stored", ".coreplay-node")
    .option("--listen <multiaddr>", "p2p listen address(es), comma-separated", "/ip4/127.0.0.1/tcp/30333")
    .option("--bootnodes <multiaddrs>", "peers to dial, comma-separated /ip4/…/tcp/…/p2p/…", "")
    .option("--rpc-port <port>", "RPC / dashboard port", "9944")
    .option("--rpc-host <host>", "RPC interface", "127.0.0.1")
    .option("--name <name>", "node name (default: the key's name)")
    .option("--validator-workers <n>", "PoV re-execution worker threads", "1")
    .option(
      "--collator",
      "run a collator (the key is one of the spec's collators): build and send PoVs, never author",
    )
    .option("--test-corrupt-povs", "tests only: the collator forges every PoV it sends")
    .option("--json", "one machine-readable line on stdout once the node is up");
  examples(cmd, [
    "coreplay node --chain spec.json --key keys/validator-0.json --data-dir n0 --listen /ip4/127.0.0.1/tcp/30333 --rpc-port 9944",
    "coreplay node --chain spec.json --key keys/collator-0.json --collator --data-dir c0 --listen /ip4/127.0.0.1/tcp/30340 --bootnodes /ip4/127.0.0.1/tcp/30333/p2p/12D3Koo… --rpc-port 9950",
    "coreplay node --chain spec.json --key keys/validator-1.json --data-dir n1 --listen /ip4/127.0.0.1/tcp/30334 --bootnodes /ip4/127.0.0.1/tcp/30333/p2p/12D3Koo… --rpc-port 9945",
  ]);
  cmd.action(
    run(async (o: NodeCliOptions) => {
      const spec = readSpec(resolve(o.chain));
      const { file, keypair } = readKeyFile(resolve(o.key));
      const rpcPort = Number(o.rpcPort);
      if (!Number.isInteger(rpcPort) || rpcPort < 0 || rpcPort > 65535)
        throw new CliError("Invalid --rpc-port", {
          code: "CLI_BAD_OPTION",
          details: o.rpcPort,
          hint: "use 0..65535",
        });
      installInstrumentCache();
      const list = (s: string) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter((x) => x.length > 0);
      const net = await createNetworkNode({
        spec,
        keypair,
        dataDir: resolve(o.dataDir),
        listen: list(o.listen),
        bootnodes: list(o.bootnodes),
        name: o.name ?? file.name,
        validatorWorkers: Number(o.validatorWorkers) || 1,
        role: o.collator ? "collator" : "validator",
        testCorruptPovs: o.testCorruptPovs === true,
      });
      const methods = createMethods(createNodeApi(net.node), {
        ...createDashboardMethods(net.node),
        ...createNetMethods(net),
      });
      for (const m of DEV_ONLY_METHODS) delete methods[m];
      let server: Awaited<ReturnType<typeof createRpcServer>>;
      try {
        server = await createRpcServer({ port: rpcPort, host: o.rpcHost, methods });
      } catch (cause) {
        await net.stop();
        throw new CliError(`Cannot listen on ${o.rpcHost}:${rpcPort}`, {
          code: "CLI_PORT_IN_USE",
          details: (cause as Error).message,
          hint: "pick another --rpc-port",
          cause,
        });
      }
      server.serveStatic(findDashboard(process.cwd()));
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await server.close();
        await net.stop();
        process.exit(0);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      const s = net.status();
      progress(
        s.role === "collator"
          ? `node ${s.name} (collator) peer ${s.peerId}`
          : `node ${s.name} (validator ${s.validatorIndex} of ${s.validators}) peer ${s.peerId}`,
      );
      progress(`p2p ${s.addresses.join(" ")}  rpc ${server.url}  head #${s.head.number}`);
      process.stdout.write(
        `${JSON.stringify({ name: s.name, rpc: server.url, peerId: s.peerId, addresses: s.addresses, head: s.head.number })}\n`,
      );
    }),
  );
}
