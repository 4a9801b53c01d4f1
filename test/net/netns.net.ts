/**
 * The 4-validator network across Linux network namespaces (one per node, veth pairs on a bridge, as
 * root; every name starts with `cpnet-`): a 2+2 partition stops finality on both sides while both
 * sides keep authoring; healing it resumes finality on one chain, and no final block is reverted.
 * Skipped, with the reason, where namespaces are not permitted.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadOrCreateNodeKey, peerIdOf } from "../../src/net/identity.ts";
import { BIN, block, cli, finalizedOf, kill9, sameChain, sleep, status, waitFor } from "./helpers.ts";

const tag = `cpnet-${process.pid % 100000}`;
const ns = (i: number) => `${tag}-${i}`;
const bridge = `cpbr${process.pid % 100000}`;
const veth = (i: number) => `cpv${process.pid % 100000}-${i}`;
const subnet = `10.211.${process.pid % 200}`;
const ip = (i: number) => `${subnet}.${i + 1}`;
const sh = (...args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: "pipe" });

function namespacesPermitted(): string | undefined {
  if (process.platform !== "linux") return "not Linux";
  try {
    // a namespace and a bridge: what setUp needs (a container may allow the first and not the second)
    sh("ip", "netns", "add", `${tag}-probe`);
    sh("ip", "netns", "del", `${tag}-probe`);
    sh("ip", "link", "add", `${bridge}p`, "type", "bridge");
    sh("ip", "link", "del", `${bridge}p`);
    return undefined;
  } catch (e) {
    return `ip netns is not permitted here (${(e as Error).message.split("\n")[0]})`;
  }
}
const skip = namespacesPermitted();
if (skip) console.warn(`netns test skipped: ${skip}`);

const pids: number[] = [];
const dir = mkdtempSync(join(tmpdir(), "cpnet-ns-"));

function setUp() {
  sh("ip", "link", "add", bridge, "type", "bridge");
  sh("ip", "addr", "add", `${subnet}.254/24`, "dev", bridge);
  sh("ip", "link", "set", bridge, "up");
  for (let i = 0; i < 4; i++) {
    sh("ip", "netns", "add", ns(i));
    sh("ip", "link", "add", veth(i), "type", "veth", "peer", "name", "eth0", "netns", ns(i));
    sh("ip", "link", "set", veth(i), "master", bridge);
    sh("ip", "link", "set", veth(i), "up");
    sh("ip", "-n", ns(i), "link", "set", "lo", "up");
    sh("ip", "-n", ns(i), "addr", "add", `${ip(i)}/24`, "dev", "eth0");
    sh("ip", "-n", ns(i), "link", "set", "eth0", "up");
  }
}

function tearDown() {
  for (let i = 0; i < 4; i++) {
    try {
      sh("ip", "netns", "del", ns(i));
    } catch {}
    try {
      sh("ip", "link", "del", veth(i));
    } catch {}
  }
  try {
    sh("ip", "link", "del", bridge);
  } catch {}
}

/** Cuts (or heals) the link between {0,1} and {2,3}: blackhole routes in each namespace. */
function partition(on: boolean) {
  const sides = [
    [0, 1],
    [2, 3],
  ];
  for (const [me, them] of [
    [sides[0]!, sides[1]!],
    [sides[1]!, sides[0]!],
  ]) {
    for (const i of me!)
      for (const j of them!) sh("ip", "-n", ns(i), "route", on ? "add" : "del", "blackhole", `${ip(j)}/32`);
  }
}

afterAll(() => {
  for (const p of pids) kill9(p);
  tearDown();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip !== undefined)("the network across network namespaces", () => {
  it("a 2+2 partition stops finality on both sides; healing resumes it on one chain", {
    timeout: 150_000,
  }, async () => {
    setUp();
    const spec = await cli<unknown>([
      "chain-spec",
      "--validators",
      "4",
      "--slot-ms",
      "250",
      "--keys",
      join(dir, "keys"),
    ]);
    writeFileSync(join(dir, "spec.json"), JSON.stringify(spec));
    const peers: string[] = [];
    for (let i = 0; i < 4; i++) peers.push(peerIdOf(await loadOrCreateNodeKey(join(dir, `n${i}`))));
    const addr = (i: number) => `/ip4/${ip(i)}/tcp/30333/p2p/${peers[i]}`;
    for (let i = 0; i < 4; i++) {
      const log = openSync(join(dir, `n${i}.log`), "a");
      const child = spawn(
        "ip",
        [
          "netns",
          "exec",
          ns(i),
          process.execPath,
          BIN,
          "node",
          "--chain",
          join(dir, "spec.json"),
          "--key",
          join(dir, "keys", `validator-${i}.json`),
          "--data-dir",
          join(dir, `n${i}`),
          "--listen",
          `/ip4/${ip(i)}/tcp/30333`,
          "--bootnodes",
          [0, 1, 2, 3]
            .filter((j) => j !== i)
            .map(addr)
            .join(","),
          "--rpc-host",
          ip(i),
          "--rpc-port",
          "9944",
        ],
        { stdio: ["ignore", log, log] },
      );
      pids.push(child.pid!);
    }
    const urls = [0, 1, 2, 3].map((i) => `http://${ip(i)}:9944`);
    await waitFor(
      "finality on all",
      async () => (await finalizedOf(urls)).every((f) => f >= 8),
      60_000,
    ).catch((e) => {
      for (let k = 0; k < 4; k++)
        console.log(`n${k}.log:`, readFileSync(join(dir, `n${k}.log`), "utf8").slice(-1500));
      throw e;
    });
    const before = await sameChain(urls, 1, Math.min(...(await finalizedOf(urls)))).catch(async (e) => {
      for (const u of urls) console.log(JSON.stringify(await status(u)));
      for (const u of urls)
        console.log(JSON.stringify(await Promise.all([6, 7, 8, 9].map((k) => block(u, k)))));
      throw e;
    });

    partition(true);
    await sleep(2000); // votes in flight settle
    const stuck = await finalizedOf(urls);
    const heads0 = await Promise.all(urls.map(async (u) => (await status(u)).head.number));
    await sleep(5000);
    expect(await finalizedOf(urls)).toEqual(stuck);
    const heads1 = await Promise.all(urls.map(async (u) => (await status(u)).head.number));
    for (const [i, h] of heads1.entries())
      expect(h, `side of node ${i} keeps authoring`).toBeGreaterThan(heads0[i]! + 3);
    // the two sides are on different forks
    const n = Math.min(...heads1);
    expect((await block(urls[0]!, n)).hash).not.toBe((await block(urls[2]!, n)).hash);

    const t0 = Date.now();
    partition(false);
    const top = Math.max(...stuck);
    await waitFor(
      "finality resumes on all",
      async () => (await finalizedOf(urls)).every((f) => f >= top + 4),
      60_000,
    ).catch(async (e) => {
      // what each node saw, for the next reader of a failure
      for (const u of urls)
        console.log(JSON.stringify(await status(u).catch((x) => String(x))).slice(0, 1200));
      throw e;
    });
    console.log(`finality resumed ${((Date.now() - t0) / 1000).toFixed(1)} s after the partition healed`);
    const after = await sameChain(urls, 1, Math.min(...(await finalizedOf(urls))));
    for (const [k, h] of before) expect(after.get(k), `final #${k} kept`).toBe(h);
  });
});
