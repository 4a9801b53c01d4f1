/**
 * The statements a validator has seen, per PoV (DESIGN §11 "Backing"): the "backed" rule is
 * `min(2, group size)` valid statements from members of the PoV's core group with one effects hash,
 * and no invalid statement from a member. A valid and an invalid statement on one PoV make it
 * `disputed` (evidence for a `Report`); `min(2, group)` invalid ones make it `invalid` (misbehaviour of
 * the collator). Bounded (oldest PoVs dropped first). Pure state, no I/O.
 */

import type { SignedStatement } from "../../chain/statement.ts";
import { bytesEqual, toHex } from "../../codec/bytes.ts";
import type { AccountId, Hash } from "../../codec/ids.ts";
import { backingThreshold } from "./groups.ts";

export type BackingState =
  | { state: "pending"; statements: SignedStatement[] }
  | { state: "backed"; effects: Hash; statements: SignedStatement[] }
  | { state: "disputed"; statements: SignedStatement[] }
  | { state: "invalid"; statements: SignedStatement[] };

export type AddOutcome = "added" | "duplicate" | "not-in-group" | "mismatch";

interface Entry {
  first: SignedStatement["statement"];
  group: AccountId[];
  statements: SignedStatement[];
}

/** PoVs remembered at most (each ≤ group size statements). */
const MAX_POVS = 4096;

export interface BackingTable {
  /** Adds a statement already verified (signature, validator set); `group` is its core's group. */
  add(s: SignedStatement, group: readonly AccountId[]): AddOutcome;
  state(pov: Hash): BackingState | undefined;
  /** PoVs on `relayParent` that are backed (what the author may include). */
  backedOn(
    relayParent: Hash,
  ): Array<{ pov: Hash; core: number; collator: AccountId; effects: Hash; statements: SignedStatement[] }>;
  /** Forgets every PoV whose relay parent `keep` says no to. */
  prune(keep: (relayParent: Hash) => boolean): void;
  size(): number;
}

export function decide(group: readonly AccountId[], statements: readonly SignedStatement[]): BackingState {
  const t = backingThreshold(group.length);
  const byEffects = new Map<string, SignedStatement[]>();
  const invalid: SignedStatement[] = [];
  let valid = 0;
  for (const s of statements) {
    const v = s.statement.verdict;
    if (v.tag === "Invalid") invalid.push(s);
    else {
      valid++;
      const k = toHex(v.value.effects);
      byEffects.set(k, [...(byEffects.get(k) ?? []), s]);
    }
  }
  const all = [...statements];
  if (invalid.length > 0 && valid > 0) return { state: "disputed", statements: all };
  if (invalid.length >= t) return { state: "invalid", statements: all };
  for (const list of byEffects.values())
    if (list.length >= t && invalid.length === 0) {
      const v = list[0]!.statement.verdict;
      return {
        state: "backed",
        effects: (v.tag === "Valid" ? v.value.effects : undefined) as Hash,
        statements: list,
      };
    }
  return { state: "pending", statements: all };
}

export function createBackingTable(): BackingTable {
  const entries = new Map<string, Entry>();
  return {
    add(s, group) {
      if (!group.some((g) => bytesEqual(g, s.validator))) return "not-in-group";
      const k = toHex(s.statement.pov);
      let e = entries.get(k);
      if (!e) {
        if (entries.size >= MAX_POVS) entries.delete(entries.keys().next().value as string);
        e = { first: s.statement, group: [...group], statements: [] };
        entries.set(k, e);
      }
      const f = e.first;
      const st = s.statement;
      if (
        !bytesEqual(f.relayParent, st.relayParent) ||
        f.core !== st.core ||
        !bytesEqual(f.collator, st.collator)
      )
        return "mismatch";
      if (e.statements.some((x) => bytesEqual(x.validator, s.validator))) return "duplicate";
      e.statements.push(s);
      return "added";
    },
    state(pov) {
      const e = entries.get(toHex(pov));
      return e && decide(e.group, e.statements);
    },
    backedOn(relayParent) {
      const out: ReturnType<BackingTable["backedOn"]> = [];
      for (const e of entries.values()) {
        if (!bytesEqual(e.first.relayParent, relayParent)) continue;
        const d = decide(e.group, e.statements);
        if (d.state === "backed")
          out.push({
            pov: e.first.pov,
            core: e.first.core,
            collator: e.first.collator,
            effects: d.effects,
            statements: d.statements,
          });
      }
      return out;
    },
    prune(keep) {
      for (const [k, e] of entries) if (!keep(e.first.relayParent)) entries.delete(k);
    },
    size: () => entries.size,
  };
}
