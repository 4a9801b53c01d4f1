import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/codec/bytes.ts";
import type { Hash } from "../../src/codec/ids.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { assetBlobs, createActor, onNode } from "./on-node.ts";
import { asset, registry } from "./protocol.ts";

let blobs: Awaited<ReturnType<typeof assetBlobs>>;
beforeAll(async () => {
  blobs = await assetBlobs();
});

let node: CoreplayNode | undefined;
afterEach(async () => {
  await node?.stop();
  node = undefined;
});

const ZERO = toHex(new Uint8Array(32));
const hashOf = (hex: string) => Buffer.from(hex.slice(2), "hex") as Uint8Array as Hash;

describe("asset ledger on a node", () => {
  it("moves a batch through the disk-chain: put back by one actor, requested and read in a later play by another", async () => {
    // Three cores for three actors whose `main`s never end: with fewer, packing always defers the same one.
    node = await createNode({ blockTime: "manual", cores: 3, engine: createWasmEngine() });
    const n = onNode(node);
    const reg = await createActor(node, blobs.registry, new Uint8Array());
    const a = await createActor(node, blobs.asset, asset.args(reg, 8));
    const b = await createActor(node, blobs.asset, asset.args(reg, 8));
    const setup = [
      n.call(reg, registry.addAsset(a)),
      n.call(reg, registry.addAsset(b)),
      node.submit({ tag: "Reserve", value: { actor: a, bytes: 4096n } }),
      n.call(a, asset.take(0)),
    ];
    await node.produceBlock();
    await Promise.all(setup);
    await n.until(async () => (await n.info(a)).held.includes(0), "a taking batch 0");
    const mint = n.call(a, asset.mint(0, 1, 500n));
    await node.produceBlock();
    await mint;
    await n.until(async () => (await n.info(a)).minted === 500n, "the mint");

    const back = n.call(a, asset.giveBack(0));
    await node.produceBlock();
    await back;
    await n.until(async () => (await n.whereIs(reg, 0)).hash !== ZERO, "a putting batch 0 back");
    const rest = await n.whereIs(reg, 0);
    expect(rest).toMatchObject({ admin: 0, storer: a });
    expect((await n.info(a)).held).toEqual([]);
    expect(node.chain.preimage(hashOf(rest.hash))).toBeDefined();

    const take = n.call(b, asset.take(0));
    await node.produceBlock();
    await take;
    // The claim's play requests the preimage; the witness of a later play supplies it.
    await n.until(async () => (await n.info(b)).loading.includes(0), "b claiming batch 0");
    expect((await n.whereIs(reg, 0)).admin).toBe(b);
    const plays = await n.until(async () => (await n.info(b)).held.includes(0), "b reading batch 0");
    expect(plays).toBeGreaterThan(0);
    expect([...(await n.query(b, asset.balanceOf(0, 1)))]).toEqual([244, 1, 0, 0, 0, 0, 0, 0]);
    // b's read notice reaches a, which releases the disk reference it held: the preimage is freed.
    await n.until(async () => node?.chain.preimage(hashOf(rest.hash)) === undefined, "a releasing");
  });
});
