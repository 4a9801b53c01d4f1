/**
 * The asset ledger on an in-process node (tests and the bench): deploy the registry and asset actors,
 * queue their calls, read their state with queries, produce blocks until something holds.
 */
import type { ActorId } from "../../src/codec/ids.ts";
import { createNodeApi } from "../../src/node/api.ts";
import type { CoreplayNode } from "../../src/node/node.ts";
import { buildExample } from "../build-example.ts";
import {
  type AssetInfo,
  asset,
  type BatchPlace,
  decodeAssetInfo,
  decodeWhereIs,
  registry,
} from "./protocol.ts";

export async function assetBlobs(): Promise<{ asset: Uint8Array; registry: Uint8Array }> {
  const [a, r] = await Promise.all([
    buildExample("assets/assembly/index.ts"),
    buildExample("assets/assembly/registry.ts"),
  ]);
  return { asset: a.blob, registry: r.blob };
}

/** Uploads `blob` and creates one actor from it with `args` (two blocks). */
export async function createActor(node: CoreplayNode, blob: Uint8Array, args: Uint8Array): Promise<ActorId> {
  const up = node.submit({ tag: "Upload", value: { blob } });
  await node.produceBlock();
  const { codeHash } = await up;
  const c = node.submit({ tag: "Create", value: { codeHash: codeHash!, args, endowment: 10n ** 20n } });
  await node.produceBlock();
  return (await c).actor as ActorId;
}

export function onNode(node: CoreplayNode) {
  const api = createNodeApi(node);
  const query = async (a: ActorId, input: Uint8Array) => {
    const r = await api.query(a, input);
    if (!r.ok) throw new Error(`query of actor ${a} failed: ${r.error}`);
    return Buffer.from(r.output.slice(2), "hex");
  };
  return {
    /** Queues an agenda Call (a dev-signed transaction); resolves once a block included it. */
    call: (actor: ActorId, input: Uint8Array) => node.submit({ tag: "Call", value: { actor, input } }),
    info: async (a: ActorId): Promise<AssetInfo> => decodeAssetInfo(await query(a, asset.info())),
    whereIs: async (reg: ActorId, batch: number): Promise<BatchPlace> =>
      decodeWhereIs(await query(reg, registry.whereIs(batch))),
    query,
    /** Produces blocks until `done()` (checked before each), at most `max`; returns how many it took. */
    async until(done: () => Promise<boolean>, what: string, max = 40): Promise<number> {
      for (let i = 0; i < max; i++) {
        if (await done()) return i;
        await node.produceBlock();
      }
      throw new Error(`${what} did not happen within ${max} blocks`);
    },
  };
}
