/**
 * The backing wire (issue 15 §2): a statement as gossiped, with the effects a `Valid` one hashes (so an
 * author outside the group can include the PoV without executing it), and the check a follower makes
 * of a block's PoV: its statements, signed by members of its core's group for that block, at least
 * `min(2, group size)` of them `Valid` over the very effects the block carries. Pure.
 */
import {
  effectsHash,
  MAX_STATEMENT_BYTES,
  SignedStatement,
  type StatementRefusal,
  verifyStatement,
} from "../../chain/statement.ts";
import { bytesEqual } from "../../codec/bytes.ts";
import type { AccountId, Hash } from "../../codec/ids.ts";
import { decodeExact, encode, Option, Struct, VecU8 } from "../../codec/types.ts";
import { err, ok, type Result } from "../../errors.ts";
import { backingThreshold, groupFor } from "./groups.ts";

/** Effects bytes a statement message may carry (a PoV's effects are far smaller than the PoV). */
export const MAX_EFFECTS_BYTES = 4 * 1024 * 1024;
export const MAX_STATEMENT_MESSAGE_BYTES = MAX_STATEMENT_BYTES + MAX_EFFECTS_BYTES + 8;

export const StatementMessage = Struct({ statement: SignedStatement, effects: Option(VecU8) });
export type StatementMessage = ReturnType<typeof StatementMessage.dec>;

export const encodeStatementMessage = (m: StatementMessage): Uint8Array => encode(StatementMessage, m);

/** Decodes a gossiped statement, checks its signature and, for `Valid`, that the effects match. */
export function decodeStatementMessage(
  bytes: Uint8Array,
  validators: readonly AccountId[],
): Result<StatementMessage, StatementRefusal | "EffectsMismatch"> {
  if (bytes.length > MAX_STATEMENT_MESSAGE_BYTES) return err("Oversized");
  let m: StatementMessage;
  try {
    m = decodeExact(StatementMessage, bytes, "statement message");
  } catch {
    return err("Malformed");
  }
  const v = verifyStatement(m.statement, validators);
  if (!v.ok) return v;
  const verdict = m.statement.statement.verdict;
  if (verdict.tag === "Valid") {
    if (!m.effects || !bytesEqual(effectsHash(m.effects), verdict.value.effects))
      return err("EffectsMismatch");
  } else if (m.effects) return err("Malformed");
  return ok(m);
}

export type BackingRefusal =
  | "BadStatement"
  | "NotInGroup"
  | "WrongPov"
  | "EffectsMismatch"
  | "NotEnoughBackers"
  | "Duplicate";

/**
 * A follower's check of a PoV in a block numbered `block` on `relayParent`: returns the backers.
 */
export function checkBacked(
  p: {
    block: number;
    relayParent: Hash;
    core: number;
    pov: Hash;
    collator: AccountId;
    effects: Uint8Array;
    statements: readonly SignedStatement[];
  },
  params: { validators: readonly AccountId[]; cores: number; rotation: number },
): Result<AccountId[], BackingRefusal> {
  const group = groupFor(params.validators, params, p.core, p.block);
  const fx = effectsHash(p.effects);
  const backers: AccountId[] = [];
  for (const s of p.statements) {
    if (!verifyStatement(s, params.validators).ok) return err("BadStatement");
    if (!group.some((g) => bytesEqual(g, s.validator))) return err("NotInGroup");
    const st = s.statement;
    if (
      !bytesEqual(st.pov, p.pov) ||
      !bytesEqual(st.relayParent, p.relayParent) ||
      st.core !== p.core ||
      !bytesEqual(st.collator, p.collator)
    )
      return err("WrongPov");
    if (st.verdict.tag !== "Valid" || !bytesEqual(st.verdict.value.effects, fx))
      return err("EffectsMismatch");
    if (backers.some((b) => bytesEqual(b, s.validator))) return err("Duplicate");
    backers.push(s.validator);
  }
  if (backers.length < backingThreshold(group.length)) return err("NotEnoughBackers");
  return ok(backers);
}

/**
 * The approval checker of a backed PoV: one validator outside its backing group, picked by the PoV
 * id (so checks spread over validators), that re-executes it after import and disputes a mismatch.
 * Undefined when every validator is in the group.
 */
export function approvalChecker(
  validators: readonly AccountId[],
  group: readonly AccountId[],
  pov: Hash,
): AccountId | undefined {
  const others = validators.filter((v) => !group.some((g) => bytesEqual(g, v)));
  if (others.length === 0) return undefined;
  const at = new DataView(pov.buffer, pov.byteOffset, 4).getUint32(0) % others.length;
  return others[at];
}
