/**
 * A backing group member's judgement of a collation (issue 15 §2): the PoV re-executed on this
 * validator's worker pool against its head (which must be the collation's relay parent), then a
 * signed statement: `Valid` with the effects hash, or `Invalid` with the reason. A PoV whose collator
 * is not canonical for its lowest actor is refused with a reason and gets no statement (it may be a
 * collator a block behind, not a forger). Never throws for bad input.
 */
import type { Chain } from "../../chain/index.ts";
import {
  effectsHash,
  invalidVerdict,
  type SignedStatement,
  type StatementVerdict,
  signStatement,
} from "../../chain/statement.ts";
import { bytesEqual, toHex } from "../../codec/bytes.ts";
import type { ActorId } from "../../codec/ids.ts";
import { decodeExact, encode, Pov } from "../../codec/types.ts";
import type { Keypair } from "../../crypto/ed25519.ts";
import type { ValidatorPool } from "../../node/validator-pool.ts";
import { type InvalidReason, RelayView, Verdict } from "../../pov/types.ts";
import { type Collation, povId } from "../collator/collation.ts";

export type Judgement =
  | { tag: "Statement"; statement: SignedStatement; effects?: Uint8Array }
  | { tag: "Refused"; reason: "NOT_ON_HEAD" | "NOT_CANONICAL" | "NO_VERDICT" };

/** What a validator needs beside the PoV to re-execute it: the view and the code blobs, at the head. */
export function viewFor(chain: Chain, actors: readonly ActorId[], recipients: readonly ActorId[] = []) {
  const view = chain.relayView(actors, { recipients });
  const codes: Array<[Uint8Array, Uint8Array]> = [];
  const seen = new Set<string>();
  for (const a of view.actors) {
    const k = toHex(a.codeHash);
    if (seen.has(k)) continue;
    seen.add(k);
    const blob = chain.code(a.codeHash);
    if (blob) codes.push([a.codeHash, blob]);
  }
  return { view: encode(RelayView, view), codes };
}

/** The actors of PoV bytes (its slabs), or undefined when the bytes are no PoV. */
export function povActors(pov: Uint8Array): ActorId[] | undefined {
  try {
    return decodeExact(Pov, pov, "PoV").slabs.map((s) => s.actor as ActorId);
  } catch {
    return undefined;
  }
}

const reasonOf = (r: InvalidReason): string => {
  const v = (r as { value?: unknown }).value;
  return `${r.tag}${v === undefined ? "" : `: ${typeof v === "object" ? toHex(v as Uint8Array) : String(v)}`}`;
};

export async function judge(opts: {
  chain: Chain;
  pool: ValidatorPool;
  key: Keypair;
  collation: Collation;
}): Promise<Judgement> {
  const { chain, collation } = opts;
  const head = chain.head();
  if (!bytesEqual(collation.relayParent, head.hash)) return { tag: "Refused", reason: "NOT_ON_HEAD" };
  const pov = povId(collation.pov);
  const sign = (verdict: StatementVerdict) =>
    signStatement(
      {
        pov,
        relayParent: collation.relayParent,
        core: collation.core,
        collator: collation.collator,
        verdict,
      },
      opts.key,
    );
  const actors = povActors(collation.pov);
  if (!actors || actors.length === 0)
    return { tag: "Statement", statement: sign(invalidVerdict("Malformed: not a PoV")) };
  const canonical = chain.canonicalCollator(Math.min(...actors) as ActorId);
  if (canonical && !bytesEqual(canonical, collation.collator))
    return { tag: "Refused", reason: "NOT_CANONICAL" };
  const { view, codes } = viewFor(chain, actors, collation.recipients);
  const backing = await opts.pool.validate({ pov: collation.pov, view, codes });
  if (!backing.backed || !backing.verdict) return { tag: "Refused", reason: "NO_VERDICT" };
  // SCALE Verdict: tag byte 0 = Valid, then the PovEffects bytes as they are
  if (backing.verdict[0] === 0) {
    const effects = backing.verdict.subarray(1);
    return {
      tag: "Statement",
      statement: sign({ tag: "Valid", value: { effects: effectsHash(effects) } }),
      effects: effects.slice(),
    };
  }
  let reason = "Invalid";
  try {
    const v = decodeExact(Verdict, backing.verdict, "verdict");
    if (v.tag === "Invalid") reason = reasonOf(v.value);
  } catch {}
  return { tag: "Statement", statement: sign(invalidVerdict(reason)) };
}
