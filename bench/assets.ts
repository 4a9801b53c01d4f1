/**
 * `assets.*`: the asset ledger over long-term storage (examples/assets) at the protocol level. A node in
 * manual block mode with 4 cores; a registry and 1 or 4 asset actors, each holding its own batches; the
 * calls queued for each actor are more than one block can play. The figure that one 2-core machine
 * cannot fake is transfers per block: one asset actor is bound by its core's gas per timeslice, four run
 * on four cores in the same timeslice and share nothing in steady state (the registry is needed only to
 * move batches), so `assets.scaling_4_over_1` should approach 4. `assets.transfers_per_s` is bound by
 * this machine's CPUs, which play (collators) and re-play (validators) every core.
 */

import { assetBlobs, createActor, onNode } from "../examples/assets/on-node.ts";
import { asset, registry, type Transfer } from "../examples/assets/protocol.ts";
import type { ActorId } from "../src/codec/ids.ts";
import { createNode } from "../src/node/node.ts";
import { createWasmEngine } from "../src/vm/wasm-engine.ts";
import { type Bench, type Figure, median, round } from "./lib.ts";

const CORES = 4;
/** A small core budget keeps a full block quick to play on this machine; the ratio does not depend on it. */
const CORE_GAS = 60_000_000n;
const BATCHES_PER_ACTOR = 4;
const BATCH_SIZE = 64;
const TRANSFERS_PER_CALL = 1_000;
/** Blocks measured once every actor's queue is longer than a block can play. */
const FULL_BLOCKS = 5;

/** Transfers inside one actor's own batches, round the accounts, so that every one succeeds. */
function transfers(first: number, round: number): Transfer[] {
  return Array.from({ length: TRANSFERS_PER_CALL }, (_, i) => {
    const k = round * TRANSFERS_PER_CALL + i;
    return {
      fromBatch: first + (k % BATCHES_PER_ACTOR),
      fromIndex: k % BATCH_SIZE,
      toBatch: first + ((k + 1) % BATCHES_PER_ACTOR),
      toIndex: (k * 7) % BATCH_SIZE,
      amount: 1n,
    };
  });
}

interface Run {
  perBlock: number;
  perSecond: number;
  note: string;
}

async function measure(actors: number, blobs: { asset: Uint8Array; registry: Uint8Array }): Promise<Run> {
  const node = await createNode({
    blockTime: "manual",
    cores: CORES,
    coreGas: CORE_GAS,
    engine: createWasmEngine(),
  });
  const { call, until, info } = onNode(node);
  try {
    const reg = await createActor(node, blobs.registry, new Uint8Array());
    const ids: ActorId[] = [];
    for (let i = 0; i < actors; i++)
      ids.push(await createActor(node, blobs.asset, asset.args(reg, BATCH_SIZE)));
    // Each actor takes its own batches (never stored: they start empty) and funds every account.
    const setup: Array<Promise<unknown>> = [];
    ids.forEach((a, i) => {
      setup.push(call(reg, registry.addAsset(a)));
      for (let b = 0; b < BATCHES_PER_ACTOR; b++) setup.push(call(a, asset.take(i * BATCHES_PER_ACTOR + b)));
    });
    await node.produceBlock();
    await Promise.all(setup);
    await until(
      async () => (await Promise.all(ids.map(info))).every((x) => x.held.length === BATCHES_PER_ACTOR),
      "taking the batches",
    );
    const mints = ids.flatMap((a, i) =>
      Array.from({ length: BATCHES_PER_ACTOR * BATCH_SIZE }, (_, k) =>
        call(a, asset.mint(i * BATCHES_PER_ACTOR + Math.floor(k / BATCH_SIZE), k % BATCH_SIZE, 10n ** 12n)),
      ),
    );
    await node.produceBlock();
    await Promise.all(mints);
    await until(async () => (await Promise.all(ids.map(info))).every((x) => x.minted > 0n), "minting");
    await node.produceBlock();

    // Queue more calls than FULL_BLOCKS + 2 blocks can play (a first block shows how many fit).
    let round0 = 0;
    const queue = async (perActor: number) => {
      const subs = ids.flatMap((a, i) =>
        Array.from({ length: perActor }, (_, r) =>
          call(a, asset.transferMany(transfers(i * BATCHES_PER_ACTOR, round0 + r))),
        ),
      );
      round0 += perActor;
      await node.produceBlock();
      await Promise.all(subs);
    };
    const counts = async () => (await Promise.all(ids.map(info))).map((x) => x.transfers);
    await queue(200);
    const perBlock: number[] = [];
    const ms: number[] = [];
    let before = await counts();
    for (let b = 0; b < FULL_BLOCKS + 1; b++) {
      const t0 = performance.now();
      await node.produceBlock();
      const t = performance.now() - t0;
      const after = await counts();
      const each = after.map((x, i) => Number(x - (before[i] ?? 0n)));
      before = after;
      // Every actor must still have had calls waiting, or the block was not full.
      const left = ids.map((a) => node.chain.actor(a)?.calls.len ?? 0);
      if (left.some((n) => n === 0))
        throw new Error(`assets bench: an actor ran out of queued calls (${left.join(", ")})`);
      if (b === 0) continue; // the first full block also warms the validators
      perBlock.push(each.reduce((s, x) => s + x, 0));
      ms.push(t);
    }
    const mid = median(perBlock);
    const perSecond = median(perBlock.map((n, i) => (n / (ms[i] ?? 1)) * 1000));
    return {
      perBlock: mid,
      perSecond,
      note: `${actors} asset actor(s) on ${CORES} cores of ${CORE_GAS} gas; per block ${perBlock.join(", ")}; block ms ${ms.map((x) => Math.round(x)).join(", ")}`,
    };
  } finally {
    await node.stop();
  }
}

const bench: Bench = async () => {
  const blobs = await assetBlobs();
  const one = await measure(1, blobs);
  const four = await measure(4, blobs);
  const figures: Figure[] = [
    {
      name: "assets.transfers_per_block_1",
      value: round(one.perBlock),
      unit: "transfers/block",
      note: one.note,
    },
    {
      name: "assets.transfers_per_block_4",
      value: round(four.perBlock),
      unit: "transfers/block",
      note: four.note,
    },
    {
      name: "assets.scaling_4_over_1",
      value: round(four.perBlock / one.perBlock),
      unit: "×",
      target: { min: 3.5 },
      note: "transfers per block, 4 asset actors on 4 cores over 1 (the limit is 4)",
    },
    {
      name: "assets.transfers_per_s_1",
      value: round(one.perSecond),
      unit: "transfers/s",
      note: "bound by this machine's CPUs",
    },
    {
      name: "assets.transfers_per_s_4",
      value: round(four.perSecond),
      unit: "transfers/s",
      note: "bound by this machine's CPUs",
    },
  ];
  return figures;
};
export default bench;
