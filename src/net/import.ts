/**
 * Import and fork choice (DESIGN §11): a block from a peer is checked (Aura: seal, author, slot), then
 * re-executed on its parent: every PoV re-validated on this node's validator pool (the verdict must equal
 * the block's effects), then `chain.applyBlock` with the block's hash expected (the chain refuses, and
 * keeps nothing, if the state root or anything else differs). A block on another fork is kept in the
 * tree; when its chain is longer and contains the last final block, the node reverts to the common
 * ancestor (journal.ts undo records) and re-executes the other branch.
 */
import type { BlockResult, ValidatedPov } from "../chain/index.ts";
import { bytesEqual } from "../codec/bytes.ts";
import type { ActorId, Hash } from "../codec/ids.ts";
import { decodeExact, encode, Pov } from "../codec/types.ts";
import { checkHeader } from "../consensus/aura.ts";
import type { BlockRef } from "../consensus/block-tree.ts";
import { PovEffects, RelayView, Verdict } from "../pov/types.ts";
import { hex, type NetContext } from "./context.ts";
import type { NetBlock } from "./wire.ts";

export type ImportOutcome = "imported" | "stored" | "known" | "bad" | "orphan" | "stale";

export interface Importer {
  /** Imports a block (run it through `ctx.serial`); "orphan" when its parent is unknown. */
  importBlock(b: NetBlock, hash: Hash): Promise<ImportOutcome>;
  /** Moves the head to the tree's best chain (the longest containing the final block) if it is not on it. */
  forkChoice(): Promise<void>;
}

/** Snake case of a consensus refusal's reason, as `net_v1_status` counts refusals. */
export const reasonKey = (reason: string): string => reason.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();

export function createImporter(ctx: NetContext, onTxsDropped: (txs: Uint8Array[]) => void): Importer {
  const { chain, tree, store, storage, node } = ctx;

  async function importBlock(b: NetBlock, hash: Hash): Promise<ImportOutcome> {
    if (ctx.stopped || tree.has(hash)) return "known";
    if (ctx.bad.has(hex(hash))) return "bad";
    const parent = tree.get(b.header.parent);
    const parentHeader = parent && ctx.headerOf(parent.hash);
    if (!parent || !parentHeader) return "orphan";
    const v = checkHeader(b, {
      validators: ctx.validators,
      nowMs: Date.now(),
      slotMs: ctx.spec.slotMs,
      parent: { hash: parent.hash, number: parent.number, slot: parentHeader.slot },
    });
    if (!v.ok) {
      ctx.refuse(reasonKey(v.error.reason));
      // a future slot may be fine a moment later; anything else is this block for good
      if (v.error.reason !== "FutureSlot") ctx.bad.add(hex(hash));
      return "bad";
    }
    const fin = tree.finalized();
    if (!tree.isDescendant(parent.hash, fin.hash)) {
      // a block off our final chain: stale, not invalid (its sender may simply be behind)
      ctx.refuse("BELOW_FINALITY");
      return "stale";
    }
    if (bytesEqual(parent.hash, ctx.head.hash)) {
      if (!(await execute(b, hash))) return "bad";
      tree.add({ hash, parent: parent.hash, number: b.header.number });
      ctx.noteHeader(hash, b.header);
      ctx.head = { hash, number: b.header.number };
      ctx.counts.imported++;
      ctx.onHeadMoved();
      return "imported";
    }
    store.putBlock(hash, b);
    tree.add({ hash, parent: parent.hash, number: b.header.number });
    ctx.noteHeader(hash, b.header);
    await forkChoice();
    return tree.has(hash) ? "stored" : "bad";
  }

  /** Re-validates the block's PoVs against this node's state (the head, its parent). */
  async function revalidate(b: NetBlock): Promise<ValidatedPov[] | string> {
    // issue 15: backed PoVs are applied on their group's statements, not re-executed here; the
    // approval checks this node owes run once the block is in
    if (ctx.backing) {
      const r = ctx.backing.checkBlock(b);
      if (typeof r === "string") return r;
      pendingApprovals = r.approvals;
      return r.povs;
    }
    const povs: ValidatedPov[] = [];
    try {
      for (const p of b.body.povs) {
        const effects = decodeExact(PovEffects, p.effects, "PoV effects");
        const actors = decodeExact(Pov, p.pov, "PoV").slabs.map((s) => s.actor as ActorId);
        const view = chain.relayView(actors);
        const codes: Array<[Uint8Array, Uint8Array]> = [];
        for (const a of view.actors) {
          const blob = chain.code(a.codeHash);
          if (blob) codes.push([a.codeHash, blob]);
        }
        const backing = await node.pool.validate({ pov: p.pov, view: encode(RelayView, view), codes });
        const expected = encode(Verdict, { tag: "Valid", value: effects });
        if (!backing.backed || !backing.verdict || !bytesEqual(backing.verdict, expected))
          return "POV_VERDICT_MISMATCH";
        povs.push({ core: p.core, pov: p.pov, effects, collator: p.collator });
      }
    } catch {
      return "MALFORMED_BODY";
    }
    return povs;
  }

  /** Re-executes `b` on the head (its parent); the chain keeps it only if it hashes to `hash`. */
  let pendingApprovals: Parameters<NonNullable<NetContext["backing"]>["approve"]>[0] = [];
  async function execute(b: NetBlock, hash: Hash): Promise<boolean> {
    const t0 = performance.now();
    pendingApprovals = [];
    const povs = await revalidate(b);
    if (typeof povs === "string") {
      ctx.refuse(povs);
      ctx.bad.add(hex(hash));
      return false;
    }
    const t1 = performance.now();
    let result: BlockResult;
    try {
      ({ result } = await node.importBlock({
        txs: b.body.txs,
        povs,
        author: b.header.author,
        slot: b.header.slot,
        seal: b.seal,
        expect: hash,
      }));
    } catch (e) {
      ctx.refuse(
        (e as { code?: string }).code === "CHAIN_BLOCK_MISMATCH" ? "STATE_MISMATCH" : "EXECUTION_FAILED",
      );
      ctx.bad.add(hex(hash));
      return false;
    }
    // the chain re-executed to the same header, so every transaction and PoV of the body applied
    // (a refused one would change txsRoot or povsRoot); the block's record right after the chain's
    if (result.number !== b.header.number) return false;
    store.putBlock(hash, b);
    ctx.timing.note("import", performance.now() - t0, b.body.txs.length, t1 - t0);
    if (pendingApprovals.length > 0) ctx.backing?.approve(pendingApprovals);
    return true;
  }

  async function forkChoice(): Promise<void> {
    for (let tries = 0; tries < 8 && !ctx.stopped; tries++) {
      const fin = tree.finalized();
      const best = tree.best();
      const onFinal = tree.isDescendant(ctx.head.hash, fin.hash);
      if (onFinal && (best.number <= ctx.head.number || bytesEqual(best.hash, ctx.head.hash))) return;
      if (await reorgTo(best)) return;
    }
  }

  /** Reverts to the common ancestor of the head and `target`, then executes `target`'s branch. */
  async function reorgTo(target: BlockRef): Promise<boolean> {
    let a: BlockRef | undefined = ctx.head;
    let t: BlockRef | undefined = target;
    const up = (r: BlockRef) => {
      const p = tree.get(r.hash);
      return p ? tree.get(p.parent) : undefined;
    };
    while (a && t && a.number > t.number) a = up(a);
    while (a && t && t.number > a.number) t = up(t);
    while (a && t && !bytesEqual(a.hash, t.hash)) {
      a = up(a);
      t = up(t);
    }
    // `target` contains the final block, so the blocks given up (the head's, above `a`) are never final:
    // either `a` is at or above the final block, or the head's branch conflicts with it
    if (!a) return false;
    const path: BlockRef[] = [];
    for (let e: BlockRef | undefined = target; e && e.number > a.number; e = up(e)) path.unshift(e);
    const blocks = path.map((e) => store.block(e.hash));
    const missing = blocks.indexOf(undefined);
    if (missing >= 0) {
      tree.discard(path[missing]!.hash);
      return false;
    }
    // the transactions of the blocks given up go back to the pool (those the new branch has are then
    // refused as stale; the others are included again)
    const dropped: Uint8Array[] = [];
    try {
      while (ctx.head.number > a.number) {
        const txs = store.block(ctx.head.hash)?.body.txs ?? [];
        storage.revertHead();
        dropped.push(...txs);
        const parent = tree.get(ctx.head.hash)?.parent ?? a.hash;
        ctx.head = { hash: parent, number: ctx.head.number - 1 };
      }
    } catch {
      // no undo record (never expected: they are pruned only below the final block on this chain)
      ctx.refuse("REORG_FAILED");
      onTxsDropped(dropped);
      return false;
    } finally {
      node.chainReverted();
    }
    ctx.head = { hash: a.hash, number: a.number };
    let ok = true;
    for (const [i, e] of path.entries()) {
      if (!(await execute(blocks[i]!, e.hash))) {
        tree.discard(e.hash);
        ok = false;
        break;
      }
      ctx.head = { hash: e.hash, number: e.number };
      ctx.counts.imported++;
    }
    onTxsDropped(dropped);
    ctx.onHeadMoved();
    return ok;
  }

  return { importBlock, forkChoice };
}
