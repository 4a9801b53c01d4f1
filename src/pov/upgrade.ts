/**
 * One `set_code` taking effect (DESIGN §10): the actor's new image on the new program, or why it stays
 * where it was. Shared by canonicalisation (src/chain/upgrade.ts) and the harness, so both restart an
 * actor the same way. Pure and deterministic: the engine's gas (UPGRADE_GAS) bounds the work.
 */
import type { ActorId, CodeHash } from "../codec/ids.ts";
import type { ActorImage, Program } from "../vm/engine.ts";
import { UPGRADE_GAS } from "../vm/gas.ts";

/** `Upgraded` with the gas `upgrade` used and the new image, or `Refused` with the reason. */
export type UpgradeVerdict =
  | { tag: "Upgraded"; gasUsed: bigint; image: ActorImage }
  | { tag: "Refused"; reason: string };

/**
 * Moves `actor` from code `from` to `program` (undefined: no program has that code hash).
 *
 * @example
 * const v = upgradeActor(engine.load(blob), actor, a.codeHash, carry);
 * if (v.tag === "Upgraded") save(v.image);
 */
export function upgradeActor(
  program: Program | undefined,
  actor: ActorId,
  from: CodeHash,
  carry: Uint8Array,
): UpgradeVerdict {
  if (!program)
    return { tag: "Refused", reason: "UNKNOWN_CODE: no program with this code hash was uploaded" };
  const r = program.upgradeImage(actor, from, carry, UPGRADE_GAS);
  return r.ok
    ? { tag: "Upgraded", gasUsed: r.gasUsed, image: r.image }
    : { tag: "Refused", reason: r.reason };
}
