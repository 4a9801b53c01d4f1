/**
 * `set_code` at canonicalisation (DESIGN §10, docs/decisions.md "set_code"): each actor that called
 * `set_code` in a canonicalised PoV restarts on the new code, whose `upgrade` entry runs here with
 * UPGRADE_GAS and the carried bytes. On success the actor's code, image (its slab and state hash) and
 * the code references move; on failure (unknown code, creation code or `upgrade` trapped or ran out of
 * gas) nothing moves: the actor stays on its old code and image. Either way a receipt is kept.
 * Deterministic: the engine's gas decides, nothing else.
 */
import { bytesEqual } from "../codec/bytes.ts";
import type { ActorId, CodeHash, Hash } from "../codec/ids.ts";
import { slabs } from "../disk/index.ts";
import type { PovEffects } from "../pov/types.ts";
import { upgradeActor } from "../pov/upgrade.ts";
import type { Engine, Program } from "../vm/engine.ts";
import { getActor, putActor } from "./ledger.ts";
import { T } from "./state.ts";
import type { KvWrite } from "./storage.ts";
import type { UpgradeReceipt } from "./upgrade-receipt.ts";

export interface UpgradeContext {
  kv: KvWrite;
  engine: Engine;
  block: number;
}

/**
 * Applies a canonicalised PoV's code changes, in order (the executor keeps one per actor, its last).
 * Returns one receipt per change; the caller has checked that each actor is in the PoV.
 *
 * @example const receipts = applyUpgrades({ kv, engine, block }, effects.codeChanges);
 */
export function applyUpgrades(
  ctx: UpgradeContext,
  changes: PovEffects["codeChanges"],
): Array<UpgradeReceipt & { actor: ActorId }> {
  const out: Array<UpgradeReceipt & { actor: ActorId }> = [];
  for (const c of changes) {
    const id = c.actor as ActorId;
    const a = getActor(ctx.kv, id);
    if (!a) continue; // the caller rejects a PoV naming an unknown actor before this step
    const r = upgradeOne(ctx, id, a.codeHash, c.codeHash, c.carry);
    const receipt = { block: ctx.block, from: a.codeHash, to: c.codeHash, outcome: r.outcome };
    if (r.image) {
      slabs.put(ctx.kv, id, r.image.bytes);
      putActor(ctx.kv, id, { ...a, codeHash: c.codeHash, stateHash: r.image.hash });
      if (!bytesEqual(a.codeHash, c.codeHash)) moveRef(ctx.kv, a.codeHash, c.codeHash);
    }
    T.upgrade.put(ctx.kv, id, receipt);
    out.push({ actor: id, ...receipt });
  }
  return out;
}

function upgradeOne(
  ctx: UpgradeContext,
  actor: ActorId,
  from: CodeHash,
  to: CodeHash,
  carry: Uint8Array,
): { outcome: UpgradeReceipt["outcome"]; image?: { hash: Hash; bytes: Uint8Array } } {
  const blob = T.codeInfo.get(ctx.kv, to) ? T.codeBlob.get(ctx.kv, to) : undefined;
  let program: Program | undefined;
  try {
    program = blob && ctx.engine.load(blob);
  } catch (e) {
    // an uploaded program loads; this is only reachable with an engine that changed under the chain
    return { outcome: { tag: "Refused", value: `ENGINE: ${(e as Error)?.message ?? String(e)}` } };
  }
  const v = upgradeActor(program, actor, from, carry);
  if (v.tag === "Refused") return { outcome: { tag: "Refused", value: v.reason } };
  return {
    outcome: { tag: "Upgraded", value: v.gasUsed },
    image: { hash: v.image.hash as Uint8Array as Hash, bytes: v.image.encode() },
  };
}

function moveRef(kv: KvWrite, from: CodeHash, to: CodeHash): void {
  const prev = T.codeInfo.get(kv, from);
  if (prev) T.codeInfo.put(kv, from, { ...prev, refs: prev.refs - 1 });
  const next = T.codeInfo.get(kv, to);
  if (next) T.codeInfo.put(kv, to, { ...next, refs: next.refs + 1 });
}
