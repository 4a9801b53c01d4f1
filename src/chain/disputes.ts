/**
 * Disputes and collator misbehaviour on chain (issue 15 §3, DESIGN §11): a `Report { statements }`
 * transaction carries signed backing statements (statement.ts) about one PoV. The chain checks each
 * against `config.validators` and records what they prove, once per PoV:
 * - valid and invalid statements together: a **Dispute** (the backers vouched for a PoV another
 *   validator found invalid; recorded with both sides, for the RPC and the dashboard);
 * - only invalid statements, from `min(2, validators)` distinct validators: **Misbehaviour** of the
 *   collator, whose bond is slashed to the reporter (collators.ts).
 * Deterministic: signatures and set membership only, no re-execution.
 */
import { bytesEqual } from "../codec/bytes.ts";
import type { AccountId } from "../codec/ids.ts";
import { err, ok, type Result } from "../errors.ts";
import { slashCollator } from "./collators.ts";
import type { ChainConfig } from "./config.ts";
import { TxError } from "./errors.ts";
import { type ReportRecord, T } from "./state.ts";
import { type SignedStatement, verifyStatement } from "./statement.ts";
import type { KvRead, KvWrite } from "./storage.ts";

/** Statements one `Report` may carry at most. */
export const MAX_REPORT_STATEMENTS = 16;

const bad = (details: string) => err(new TxError("TX_BAD_REPORT", "Invalid report", details));

/** Whether `signer` may report without a fee (a validator: its reports are bounded, one per PoV). */
export const isValidator = (config: ChainConfig, signer: Uint8Array): boolean =>
  config.validators.some((v) => bytesEqual(v, signer));

/** Checks and records a report; writes nothing on refusal (the caller's savepoint undoes the fee). */
export function applyReport(
  kv: KvWrite,
  config: ChainConfig,
  reporter: AccountId,
  statements: readonly SignedStatement[],
  block: number,
): Result<ReportRecord, TxError> {
  if (statements.length === 0 || statements.length > MAX_REPORT_STATEMENTS)
    return bad(`${statements.length} statements (1..${MAX_REPORT_STATEMENTS})`);
  const first = statements[0]!.statement;
  const valid: AccountId[] = [];
  const invalid: AccountId[] = [];
  let verdict = first.verdict;
  let seenInvalid = false;
  for (const [i, s] of statements.entries()) {
    const v = verifyStatement(s, config.validators);
    if (!v.ok) return bad(`statement ${i}: ${v.error}`);
    const st = s.statement;
    if (
      !bytesEqual(st.pov, first.pov) ||
      !bytesEqual(st.relayParent, first.relayParent) ||
      st.core !== first.core ||
      !bytesEqual(st.collator, first.collator)
    )
      return bad(`statement ${i} is about another PoV`);
    if ([...valid, ...invalid].some((x) => bytesEqual(x, s.validator)))
      return bad(`statement ${i}: a second statement of one validator`);
    if (st.verdict.tag === "Valid") valid.push(s.validator);
    else {
      invalid.push(s.validator);
      if (!seenInvalid) verdict = st.verdict;
      seenInvalid = true;
    }
  }
  if (T.report.get(kv, first.pov)) return bad("this PoV is reported already");
  if (invalid.length === 0) return bad("no invalid statement: nothing to report");
  const dispute = valid.length > 0;
  if (!dispute && invalid.length < Math.min(2, config.validators.length))
    return bad(`misbehaviour needs ${Math.min(2, config.validators.length)} invalid statements`);
  const slashed = dispute ? 0n : slashCollator(kv, first.collator, reporter);
  const record: ReportRecord = {
    kind: dispute ? { tag: "Dispute", value: undefined } : { tag: "Misbehaviour", value: undefined },
    pov: first.pov,
    relayParent: first.relayParent,
    core: first.core,
    collator: first.collator,
    block,
    reporter,
    valid,
    invalid,
    verdict,
    slashed,
  };
  T.report.put(kv, first.pov, record);
  return ok(record);
}

/** Every recorded report (disputes and misbehaviour), oldest block first. */
export function reports(kv: KvRead): ReportRecord[] {
  const out = [...T.report.scan(kv)].map(([, r]) => r);
  return out.sort((a, b) => a.block - b.block);
}
