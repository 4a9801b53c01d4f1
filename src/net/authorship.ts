/**
 * Aura authorship (DESIGN §11): on each of its slots (slot = ⌊now / slotMs⌋, author = validators[slot
 * mod n]) the node produces a block on its head through the dev node (collators build, its validator
 * pool backs the PoVs, its tx pool's transactions), sealed with its validator key by the chain, and
 * gossips the signed header with the body.
 */
import type { BlockInput, BlockResult } from "../chain/index.ts";
import { toHex } from "../codec/bytes.ts";
import { encode } from "../codec/types.ts";
import { authorFor, slotAt } from "../consensus/aura.ts";
import { PovEffects } from "../pov/types.ts";
import { povId } from "./collator/collation.ts";
import type { NetContext } from "./context.ts";
import { type NetBlock, NetBlock as NetBlockCodec, type NetBody } from "./wire.ts";

export interface Authorship {
  /** Called by the node's `onApplied` hook with the block it just produced. */
  applied(input: BlockInput, result: BlockResult): void;
  /** Authors a block if this slot is ours (every tenth of a slot). */
  tick(): void;
}

/** The share of a slot a block's re-execution may take on a follower (the rest: gossip, votes, slack). */
export const BLOCK_BUDGET_SHARE = 0.3;
/** Transactions per block before any block was timed, and the fewest a budget allows. */
const FIRST_BUDGET = 100;
const MIN_BUDGET = 20;

/**
 * How many transactions the next block may take: as many as this node's recent blocks say fit in
 * {@link BLOCK_BUDGET_SHARE} of a slot, less what the PoVs of a block take to re-validate (measured per
 * transaction on this node's imports, so a follower re-executes the block well inside the slot); the rest
 * wait in the pool for the next blocks.
 */
export function txBudget(ctx: NetContext): number {
  const t = ctx.timing.report();
  const perTx = t.importMsPerTx;
  if (!(perTx > 0)) return FIRST_BUDGET;
  // what the PoVs of a block take is not the transactions' to spend
  const room = Math.max(ctx.spec.slotMs * 0.1, ctx.spec.slotMs * BLOCK_BUDGET_SHARE - t.importPovMs);
  return Math.max(MIN_BUDGET, Math.floor(room / perTx));
}

export function createAuthorship(ctx: NetContext, enabled: boolean): Authorship {
  let applied: { input: BlockInput; result: BlockResult } | undefined;
  let lastAuthoredSlot = -1n;

  async function author(slot: bigint): Promise<void> {
    const parent = ctx.head;
    // a block imported meanwhile may hold this slot already
    if ((ctx.headerOf(parent.hash)?.slot ?? 0n) >= slot || ctx.stopped) return;
    applied = undefined;
    const t0 = performance.now();
    // issue 15: with collator processes, the PoVs their backing groups backed on this parent
    const backed = ctx.backing?.backedFor(parent.hash);
    const statementsOf = new Map((backed ?? []).map((b) => [b.summary.hash, b.statements]));
    await ctx.node.produceBlock({ slot, maxTxs: txBudget(ctx), ...(backed ? { backed } : {}) });
    const a = applied as { input: BlockInput; result: BlockResult } | undefined;
    if (!a) return;
    const { input, result } = a;
    const body: NetBody = {
      txs: input.txs.filter((_, i) => result.txs[i]!.result.ok),
      povs: (input.povs ?? [])
        .filter((_, i) => result.povs[i]!.result.ok)
        .map((p) => ({
          core: p.core,
          pov: p.pov,
          effects: encode(PovEffects, p.effects),
          collator: p.collator,
          statements: statementsOf.get(toHex(povId(p.pov))) ?? [],
        })),
    };
    ctx.timing.note("author", performance.now() - t0, body.txs.length);
    const seal = ctx.chain.block(result.number)!.seal;
    const block: NetBlock = { header: result.header, seal, body };
    ctx.store.putBlock(result.hash, block);
    ctx.tree.add({ hash: result.hash, parent: parent.hash, number: result.number });
    ctx.noteHeader(result.hash, result.header);
    ctx.head = { hash: result.hash, number: result.number };
    ctx.counts.authored++;
    ctx.host.publish("blocks", encode(NetBlockCodec, block));
    ctx.onHeadMoved();
  }

  return {
    applied(input, result) {
      applied = { input, result };
    },
    tick() {
      if (ctx.stopped || !enabled) return;
      const slot = slotAt(Date.now(), ctx.spec.slotMs);
      const headSlot = ctx.headerOf(ctx.head.hash)?.slot ?? 0n;
      if (slot <= lastAuthoredSlot || authorFor(slot, ctx.validators) !== ctx.index || headSlot >= slot)
        return;
      // only author on a chain that is not far behind the network (a syncing node waits, and a node
      // that has not asked its peers yet waits for their answer)
      if (!ctx.polled || ctx.bestPeerHead() > ctx.head.number + 2) return;
      lastAuthoredSlot = slot;
      void ctx
        .serial("author", () => author(slot))
        .catch((e) => process.emitWarning(`authoring slot ${slot} failed: ${(e as Error).message}`));
    },
  };
}
