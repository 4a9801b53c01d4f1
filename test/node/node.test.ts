import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeApi } from "../../src/node/api.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import type { NodeApi, NodeEvent } from "../../src/rpc/types.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { counterProgram, tickerProgram } from "./programs.ts";

const engine = createWasmEngine();
const u64 = (hex: string) => Buffer.from(hex.slice(2), "hex").readBigUInt64LE(0);

async function deploy(api: NodeApi, blob: Uint8Array) {
  const { codeHash } = await api.uploadCode(blob);
  return (await api.createActor({ codeHash, args: new Uint8Array() })).actor;
}

describe("node: instant blocks, real engine, two validator workers", () => {
  let node: CoreplayNode;
  let api: NodeApi;
  const events: NodeEvent[] = [];
  beforeAll(async () => {
    node = await createNode({ blockTime: "instant", validators: 2, cores: 2, collators: 3, engine });
    api = createNodeApi(node);
    api.subscribe((e) => events.push(e));
  });
  afterAll(async () => {
    await node.stop();
  });

  it("runs calls through collators and validators and returns each output once canonicalised", async () => {
    const actor = await deploy(api, counterProgram());
    const outs: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const { callId } = await api.submitCall(actor, new Uint8Array([1]));
      const r = await api.waitReceipt(callId, 20_000);
      expect(r).toMatchObject({ status: "canonicalised", ok: true });
      outs.push(u64(r.output!));
    }
    expect(outs).toEqual([1n, 2n, 3n]);
    const a = api.actor(actor)!;
    expect(BigInt(a.sequence)).toBeGreaterThanOrEqual(3n);
    expect(a.name).toBe("counter");
    // every canonicalised PoV was backed by both workers
    const canon = events.filter((e) => e.event === "canonicalised");
    expect(canon.length).toBeGreaterThan(0);
    for (const e of canon) if (e.event === "canonicalised") expect(e.pov.backers).toEqual([0, 1]);
  });

  it("reports an actor's own error as a failed call, and keeps its state", async () => {
    const actor = await deploy(api, counterProgram());
    const bad = await api.waitReceipt((await api.submitCall(actor, new Uint8Array([0xff]))).callId, 20_000);
    expect(bad).toMatchObject({
      ok: false,
      error: "Actor",
      output: `0x${Buffer.from("no").toString("hex")}`,
    });
    const good = await api.waitReceipt((await api.submitCall(actor, new Uint8Array([0]))).callId, 20_000);
    expect(u64(good.output!)).toBe(1n);
  });

  it("queries without recording anything", async () => {
    const actor = await deploy(api, counterProgram());
    const before = api.actor(actor)!.stateHash;
    const q = await api.query(actor, new Uint8Array([0]));
    expect(q.ok).toBe(true);
    expect(u64(q.output)).toBe(1n);
    expect(api.actor(actor)!.stateHash).toBe(before);
  });

  it("keeps scheduling an actor whose main yields until main returns, capturing its logs", async () => {
    const actor = await deploy(api, tickerProgram());
    const deadline = Date.now() + 30_000;
    while (api.actor(actor)!.status !== "ended" && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(api.actor(actor)!.status).toBe("ended");
    const logs = api.logs(actor, {});
    expect(logs.map((l) => l.line)).toEqual(["tick", "tick", "tick", "tick", "tick"]);
    // one tick per play: the lines are in five different blocks
    expect(new Set(logs.map((l) => l.block)).size).toBe(5);
    const q = await api.query(actor, new Uint8Array());
    expect(Buffer.from(q.output.slice(2), "hex").readUInt32LE(0)).toBe(5);
  });

  it("snapshot and revert restore the chain's state", async () => {
    const actor = await deploy(api, counterProgram());
    const bump = async () =>
      u64((await api.waitReceipt((await api.submitCall(actor, Uint8Array.of(1))).callId, 20_000)).output!);
    expect(await bump()).toBe(1n);
    const snap = await api.snapshot();
    const at = api.actor(actor)!;
    expect(await bump()).toBe(2n);
    const head = await api.revert(snap.id);
    expect(head.number).toBe(snap.block);
    expect(api.actor(actor)).toEqual(at);
    expect(await bump()).toBe(2n);
    await expect(api.revert("999")).rejects.toMatchObject({ code: "UNKNOWN_SNAPSHOT" });
  });

  it("refuses bad programs and unknown codes with typed errors", async () => {
    await expect(api.uploadCode(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ rpcCode: -32006 });
    await expect(
      api.createActor({ codeHash: `0x${"ab".repeat(32)}`, args: new Uint8Array() }),
    ).rejects.toMatchObject({
      code: "UNKNOWN_CODE",
    });
    await expect(api.submitCall(4242, new Uint8Array())).rejects.toMatchObject({ code: "TX_UNKNOWN_ACTOR" });
  });

  it("validates a PoV it built as valid, and a tampered one as invalid", async () => {
    const head = api.head();
    let hash: string | undefined;
    for (let n = head.number; n > 0 && !hash; n--) hash = api.block(n)?.povs[0]?.hash;
    const bytes = api.pov(hash as `0x${string}`)!;
    expect(await api.validatePov(bytes)).toEqual({ valid: true, reason: "" });
    const tampered = bytes.slice();
    tampered[tampered.length - 40]! ^= 0xff;
    const v = await api.validatePov(tampered);
    expect(v.valid).toBe(false);
    expect(v.reason).not.toBe("");
    expect(await api.validatePov(new Uint8Array([1, 2, 3]))).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/Malformed/),
    });
  });
});

describe("node: block-time modes", () => {
  it("manual mode produces blocks only on request", async () => {
    const node = await createNode({ blockTime: "manual", validators: 1, engine });
    const api = createNodeApi(node);
    const h0 = api.head().number;
    const pending = api.uploadCode(counterProgram());
    await new Promise((r) => setTimeout(r, 300));
    expect(api.head().number).toBe(h0);
    await api.newBlocks(1);
    await pending;
    expect(api.head().number).toBe(h0 + 1);
    await api.newBlocks(3);
    expect(api.head().number).toBe(h0 + 4);
    await node.stop();
  });

  it("interval mode produces blocks on its own", async () => {
    const node = await createNode({ blockTime: 20, validators: 1, engine });
    const deadline = Date.now() + 20_000;
    while (node.chain.head().number < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(node.chain.head().number).toBeGreaterThanOrEqual(3);
    await node.stop();
  });

  it("rejects bad options with a typed error", async () => {
    await expect(createNode({ cores: 0, engine })).rejects.toMatchObject({ code: "NODE_BAD_OPTION" });
    await expect(createNode({ blockTime: -5, engine })).rejects.toMatchObject({ code: "NODE_BAD_OPTION" });
  });
});

describe("node: persistence and faulty validators", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "cp-node-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("continues from the data dir after a restart", async () => {
    let node = await createNode({ dataDir: dir, blockTime: "instant", validators: 1, engine });
    let api = createNodeApi(node);
    const actor = await deploy(api, counterProgram());
    for (let i = 0; i < 2; i++)
      await api.waitReceipt((await api.submitCall(actor, new Uint8Array([0]))).callId, 20_000);
    const head = api.head().number;
    const state = api.actor(actor)!;
    await node.stop();

    node = await createNode({ dataDir: dir, blockTime: "instant", validators: 1, engine });
    api = createNodeApi(node);
    expect(api.head().number).toBe(head);
    expect(api.actor(actor)).toEqual(state);
    const r = await api.waitReceipt((await api.submitCall(actor, new Uint8Array([0]))).callId, 20_000);
    expect(u64(r.output!)).toBe(3n);
    expect(api.logs(actor, {})).toEqual([]);
    await node.stop();
  });

  it("keeps producing and backing blocks with a lying validator worker", async () => {
    process.env.COREPLAY_TEST_LIAR = join(dir, "liar");
    const node = await createNode({
      blockTime: "instant",
      validators: 3,
      backers: 2,
      engine,
      validatorHandler: new URL("./fixtures/liar-handler.ts", import.meta.url).href,
    });
    const api = createNodeApi(node);
    const actor = await deploy(api, counterProgram());
    for (let i = 1n; i <= 3n; i++) {
      const r = await api.waitReceipt((await api.submitCall(actor, new Uint8Array([0]))).callId, 20_000);
      expect(u64(r.output!)).toBe(i);
    }
    await node.stop();
  });
});
