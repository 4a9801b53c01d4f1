/**
 * A late node (issue 14): a 4-validator network runs with one validator missing until 200 blocks are
 * final; the late one then starts on an empty data dir, downloads and re-executes every block from its
 * peers, and ends on the same head hash and state root, then follows and votes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  block,
  cli,
  finalizedOf,
  kill9,
  type NetworkFile,
  sameChain,
  status,
  type UpNode,
  waitFor,
} from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "cpnet-late-"));
let nodes: UpNode[] = [];

afterAll(async () => {
  await cli(["net", "down", "--dir", dir]).catch(() => {});
  for (const n of nodes) kill9(n.pid);
  rmSync(dir, { recursive: true, force: true });
});

describe("a node started after 200 blocks", () => {
  it("syncs to the same head hash and state root, then follows", { timeout: 180_000 }, async () => {
    const up = await cli<{ nodes: UpNode[] }>([
      "net",
      "up",
      "--validators",
      "4",
      "--slot-ms",
      "100",
      "--dir",
      dir,
    ]);
    nodes = up.nodes;
    // validator-3 goes at once, and its chain with it: it comes back as a new node (same identity)
    kill9(nodes[3]!.pid);
    const net = JSON.parse(readFileSync(join(dir, "network.json"), "utf8")) as NetworkFile;
    await waitFor(
      "validator-3 gone",
      async () => {
        try {
          process.kill(nodes[3]!.pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      5000,
    );
    rmSync(join(net.nodes[3]!.dataDir, "chain"), { recursive: true, force: true });
    rmSync(join(net.nodes[3]!.dataDir, "node"), { recursive: true, force: true });
    const urls = nodes.map((n) => n.rpc);
    const three = urls.slice(0, 3);
    await waitFor(
      "200 final blocks with 3 of 4",
      async () => (await finalizedOf(three)).every((f) => f >= 200),
      90_000,
    );

    const t0 = Date.now();
    nodes = (await cli<{ nodes: UpNode[] }>(["net", "up", "--dir", dir])).nodes;
    const target = (await status(urls[0]!)).head.number;
    await waitFor(
      "the late node reaches the others' head",
      async () => (await status(urls[3]!)).head.number >= target,
      60_000,
    );
    const secs = (Date.now() - t0) / 1000;
    console.log(
      `late node synced ${target} blocks in ${secs.toFixed(1)} s (${(target / secs).toFixed(0)} blocks/s, incl. process start)`,
    );
    // same hash and state root at a final height every node has
    const f = Math.min(...(await finalizedOf(three)));
    await waitFor(
      "the late node has every final block",
      async () => (await status(urls[3]!)).head.number >= f,
      30_000,
    );
    const late = await block(urls[3]!, f);
    const ref = await block(urls[0]!, f);
    expect(late.hash).toBe(ref.hash);
    expect(late.stateRoot).toBe(ref.stateRoot);
    await sameChain(urls, f - 20, f);
    // then it follows: finality on the late node too
    await waitFor(
      "the late node finalises",
      async () => (await status(urls[3]!)).finalized.number >= f,
      30_000,
    );
  });
});
