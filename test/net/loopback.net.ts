/**
 * Four `coreplay node` processes on loopback, started by `coreplay net up` (the contract of issue 14):
 * round-robin Aura authorship, finality, the same chain on every node; SIGKILL one (finality goes on
 * with 3), two (blocks go on, finality stops), restart them (they sync, finality resumes, nothing final
 * changed).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { afterAll, describe, expect, it } from "vitest";
import { chainConfig } from "../../src/chain/config.ts";
import { signTx } from "../../src/chain/index.ts";
import { fromHex, toHex } from "../../src/codec/bytes.ts";
import type { AccountId, ActorId, Hash } from "../../src/codec/ids.ts";
import { encode, Vector, VecU8 } from "../../src/codec/types.ts";
import { headerHash, sealMessage } from "../../src/consensus/header.ts";
import { encodeVote } from "../../src/consensus/votes.ts";
import { devKeypair, sign } from "../../src/crypto/ed25519.ts";
import { createHost, type Host } from "../../src/net/host.ts";
import { type NetBlock, NetBlock as NetBlockCodec } from "../../src/net/wire.ts";
import { counterProgram } from "../node/programs.ts";
import {
  block,
  cli,
  finalizedOf,
  kill9,
  type NetworkFile,
  rpc,
  sameChain,
  sleep,
  status,
  type UpNode,
  waitFor,
} from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "cpnet-loop-"));
let nodes: UpNode[] = [];

const attackers: Host[] = [];

afterAll(async () => {
  for (const a of attackers) await a.stop().catch(() => {});
  await cli(["net", "down", "--dir", dir]).catch(() => {});
  for (const n of nodes) kill9(n.pid);
  rmSync(dir, { recursive: true, force: true });
});

describe("a 4-validator network on loopback", () => {
  it("authors round-robin, finalises, survives one and two SIGKILLs, and resyncs the restarted nodes", {
    timeout: 150_000,
  }, async () => {
    const t0 = Date.now();
    const lap = (what: string) => console.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const up = await cli<{ nodes: UpNode[] }>([
      "net",
      "up",
      "--validators",
      "4",
      "--slot-ms",
      "250",
      "--dir",
      dir,
    ]);
    nodes = up.nodes;
    expect(nodes.map((n) => n.role)).toEqual(["validator", "validator", "validator", "validator"]);
    const urls = nodes.map((n) => n.rpc);

    // finality advances on every node
    await waitFor(
      "finality ≥ 12 on all",
      async () => (await finalizedOf(urls)).every((f) => f >= 12),
      40_000,
    ).catch(async (e) => {
      for (const u of urls) console.log(JSON.stringify(await status(u).catch((x) => String(x))));
      throw e;
    });
    lap("finality ≥ 12");
    // round-robin: every final block's author is validators[slot mod 4], and all four author final
    // blocks (a node that starts late on a loaded machine may miss its first slots)
    const authors = new Set<number>();
    let checked = 0;
    await waitFor(
      "all four validators author final blocks",
      async () => {
        const upTo = Math.min(...(await finalizedOf(urls)));
        for (; checked < upTo; checked++) {
          const b = await block(urls[0]!, checked + 1);
          expect(b.author).toBe(Number(BigInt(b.slot) % 4n));
          authors.add(b.author);
        }
        return authors.size === 4;
      },
      30_000,
    );
    expect([...authors].sort()).toEqual([0, 1, 2, 3]);

    // transactions gossip: signed calls sent to validator 1 alone enter other authors' blocks too,
    // and are canonicalised (a collator of whichever node authors runs them)
    const { codeHash } = await rpc<{ codeHash: string }>(urls[0]!, "code_v1_upload", [
      toHex(counterProgram()),
    ]);
    const { actor } = await rpc<{ actor: number }>(urls[0]!, "actor_v1_create", [codeHash]);
    const signer = devKeypair(7);
    const txHashes: string[] = [];
    for (let wave = 0; wave < 4; wave++) {
      for (let k = 0; k < 6; k++) {
        const call = { tag: "Call" as const, value: { actor: actor as ActorId, input: Uint8Array.of(1) } };
        const bytes = signTx(signer, { nonce: BigInt(txHashes.length), call }, chainConfig({}));
        txHashes.push(await rpc<string>(urls[1]!, "tx_v1_submit", [toHex(bytes)]));
      }
      await sleep(400);
    }
    const included = await waitFor(
      "every call canonicalised",
      async () => {
        const st = await Promise.all(
          txHashes.map((h) =>
            rpc<{ status: string; block?: number; receipt?: { status: string } }>(urls[1]!, "tx_v1_status", [
              h,
            ]),
          ),
        );
        return st.every((x) => x.status === "included" && x.receipt?.status === "canonicalised") && st;
      },
      30_000,
    );
    const inBlocks = [...new Set(included.map((x) => x.block!))];
    const txAuthors = new Set(
      await Promise.all(inBlocks.map(async (b) => (await block(urls[0]!, b)).author)),
    );
    expect(
      [...txAuthors].some((a) => a !== 1),
      `authors of the calls' blocks: ${[...txAuthors]}`,
    ).toBe(true);
    lap("calls gossiped and canonicalised");
    const upTo = Math.min(...(await finalizedOf(urls)));
    const final1 = await sameChain(urls, 1, upTo);

    // one node SIGKILLed: finality continues with 3
    kill9(nodes[3]!.pid);
    const live3 = urls.slice(0, 3);
    const f0 = Math.min(...(await finalizedOf(live3)));
    await waitFor(
      "finality with 3",
      async () => (await finalizedOf(live3)).every((f) => f >= f0 + 5),
      20_000,
    );

    lap("finality with 3");
    // two killed: blocks go on, finality stops
    kill9(nodes[2]!.pid);
    const live2 = urls.slice(0, 2);
    await sleep(1500); // votes in flight settle
    const stuck = Math.max(...(await finalizedOf(live2)));
    const h0 = (await status(live2[0]!)).head.number;
    await sleep(4000);
    const h1 = (await status(live2[0]!)).head.number;
    expect(h1).toBeGreaterThan(h0 + 3);
    expect(Math.max(...(await finalizedOf(live2)))).toBe(stuck);

    lap("stopped with 2");
    // restart both: they sync, finality resumes, nothing final changed
    const again = await cli<{ nodes: UpNode[] }>(["net", "up", "--dir", dir]);
    nodes = again.nodes;
    await waitFor(
      "finality resumes on all",
      async () => (await finalizedOf(urls)).every((f) => f >= stuck + 5),
      40_000,
    );
    lap("resumed after restart");
    const upTo2 = Math.min(...(await finalizedOf(urls)));
    const final2 = await sameChain(urls, 1, upTo2);
    for (const [n, h] of final1) expect(final2.get(n), `final #${n}`).toBe(h);
    for (const u of urls) expect((await status(u)).equivocations).toEqual([]);
  });
});

describe("a node under attack", () => {
  it("refuses forged and malformed messages and a vote flood, bans the sender, and stays up", {
    timeout: 60_000,
  }, async () => {
    const net = JSON.parse(readFileSync(join(dir, "network.json"), "utf8")) as NetworkFile;
    const target = net.nodes[0]!;
    const url = `http://127.0.0.1:${target.rpcPort}`;
    const st = await status(url);
    const genesis = fromHex(st.genesis) as Hash;
    const keyOf = (i: number) =>
      JSON.parse(readFileSync(net.nodes[i]!.key, "utf8")) as { seed: string; publicKey: string };
    const seed0 = fromHex(keyOf(0).seed);
    const keys = [0, 1].map((i) => fromHex(keyOf(i).publicKey) as AccountId);
    const boot = `/ip4/127.0.0.1/tcp/${target.p2pPort}/p2p/${target.peerId}`;
    const attacker = async () => {
      const h = await createHost({
        privateKey: await generateKeyPair("Ed25519"),
        genesis,
        listen: ["/ip4/127.0.0.1/tcp/0"],
        bootnodes: [boot],
        onGossip: () => "ignore",
        handlers: {},
      });
      attackers.push(h);
      await waitFor(
        "attacker connected",
        async () => h.peers().some((p) => p.peerId === target.peerId),
        10_000,
      );
      await sleep(1500); // the mesh forms (gossipsub heartbeat)
      return h;
    };
    const head = await block(url, (await status(url)).head.number);
    const slotNow = BigInt(Math.floor(Date.now() / 250));
    // a slot of validator 0 (slot mod 4 = 0) and one of validator 1, both in the past
    const slot0 = slotNow - (slotNow % 4n) - 8n;
    const forged = (slot: bigint, author: number, signer: Uint8Array): Uint8Array => {
      const header = {
        number: head.number + 1,
        parent: fromHex(head.hash) as Hash,
        author: keys[author]!,
        slot,
        txsRoot: new Uint8Array(32) as Hash,
        povsRoot: new Uint8Array(32) as Hash,
        stateRoot: new Uint8Array(32) as Hash,
      };
      const b: NetBlock = {
        header,
        body: { txs: [], povs: [] },
        seal: sign(sealMessage(headerHash(header)), signer),
      };
      return encode(NetBlockCodec, b);
    };
    const a = await attacker();
    // each forgery until the node counts it (a message sent before the peer's mesh formed is not delivered)
    let salt = 0n;
    const until = async (fault: string, send: () => void) =>
      waitFor(
        fault,
        async () => {
          send();
          await sleep(300);
          return ((await status(url)).refused[fault] ?? 0) >= 1;
        },
        15_000,
      );
    await until("WRONG_AUTHOR", () => a.publish("blocks", forged(slot0 + 1n - 4n * salt++, 0, seed0))); // validator 1's slot
    await until("BAD_SIGNATURE", () => a.publish("blocks", forged(slot0 + 1n - 4n * salt++, 1, seed0))); // validator 1's slot, signed by 0
    await until("FUTURE_SLOT", () => a.publish("blocks", forged(slot0 + 400n + 4n * salt++, 0, seed0))); // 100 s ahead
    // a transaction with a bad signature scores its sender down (each one new: the node drops a hash it saw)
    let badNonce = 0n;
    await waitFor(
      "a bad transaction scored",
      async () => {
        const call = { tag: "Call" as const, value: { actor: 0 as ActorId, input: Uint8Array.of(1) } };
        const tx = signTx(devKeypair(8), { nonce: badNonce++, call }, chainConfig({}));
        tx[tx.length - 1]! ^= 0xff;
        a.publish("txs", encode(Vector(VecU8), [tx]));
        await sleep(300);
        const st = await status(url);
        return st.peerScores.some((p) => p.lastOffence?.startsWith("bad transaction"));
      },
      15_000,
    );
    // then oversized votes and garbage until the node bans the sender (each message differs: gossip
    // drops repeats)
    let junk = 0;
    await waitFor(
      "the first attacker banned",
      async () => {
        junk++;
        a.publish("votes", new Uint8Array(4096).fill(junk % 256)); // oversized vote
        a.publish("blocks", Uint8Array.of(1, 2, 3, junk % 256)); // garbage
        await sleep(200);
        return (await status(url)).peerScores.some((p) => p.banned);
      },
      15_000,
    );

    // a flood of votes with bad signatures from a second peer
    const b = await attacker();
    let round = 0;
    await waitFor(
      "both attackers banned",
      async () => {
        for (let k = 0; k < 200; k++, round++) {
          const v = {
            vote: {
              round: BigInt(round),
              phase: "prevote" as const,
              target: { hash: fromHex(head.hash) as Hash, number: head.number },
              setId: 0n,
            },
            voter: round % 4,
            signature: new Uint8Array(64).fill(round % 251),
          };
          b.publish("votes", encodeVote(v));
        }
        await sleep(300);
        return (await status(url)).peerScores.filter((p) => p.banned).length >= 2;
      },
      20_000,
    );
    const after = await status(url);
    expect(after.refused.VOTE_BAD_SIGNATURE ?? 0).toBeGreaterThan(0);
    // still up and following: head and finality advance
    await waitFor(
      "finality advances after the attack",
      async () => (await status(url)).finalized.number >= after.finalized.number + 4,
      20_000,
    );
  });
});
