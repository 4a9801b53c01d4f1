/**
 * Backing statements (DESIGN §11 "Backing"): a validator's signed word on one PoV, `Valid` with the
 * hash of the effects it computed or `Invalid` with a reason. Validators gossip them; the chain reads
 * them as evidence in `Report` transactions (disputes.ts). Pure: codecs, signing, checks; never throws
 * on bad input (a `Result`).
 */
import { bytesEqual } from "../codec/bytes.ts";
import type { AccountId, Hash } from "../codec/ids.ts";
import {
  AccountIdCodec,
  Bytes,
  decodeExact,
  Enum,
  encode,
  HashCodec,
  Struct,
  u16,
  VecU8,
} from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { type Keypair, sign, verify } from "../crypto/ed25519.ts";
import { err, ok, type Result } from "../errors.ts";

/** Longest reason an `Invalid` statement carries (bytes of UTF-8); longer ones are cut. */
export const MAX_REASON_BYTES = 200;
/** Longest encoded signed statement (fixed fields 236 bytes + a reason of at most 200 and its length). */
export const MAX_STATEMENT_BYTES = 448;

export const StatementVerdict = Enum({
  /** The validator re-executed the PoV and got these effects (blake2b-256 of SCALE `PovEffects`). */
  Valid: Struct({ effects: HashCodec }),
  Invalid: Struct({ reason: VecU8 }),
});
export type StatementVerdict = ReturnType<typeof StatementVerdict.dec>;

/** What is stated: one PoV (blake2b-256 of its bytes) on one core, built on one relay parent. */
export const Statement = Struct({
  pov: HashCodec,
  relayParent: HashCodec,
  core: u16,
  /** The collator the PoV came from (its misbehaviour is what an `Invalid` statement evidences). */
  collator: AccountIdCodec,
  verdict: StatementVerdict,
});
export type Statement = ReturnType<typeof Statement.dec>;

export const SignedStatement = Struct({
  statement: Statement,
  validator: AccountIdCodec,
  signature: Bytes(64),
});
export type SignedStatement = ReturnType<typeof SignedStatement.dec>;

const DOMAIN = new TextEncoder().encode("coreplay/statement");

const message = (s: Statement): Uint8Array => {
  const body = encode(Statement, s);
  const out = new Uint8Array(DOMAIN.length + body.length);
  out.set(DOMAIN);
  out.set(body, DOMAIN.length);
  return out;
};

/** The effects hash a `Valid` statement carries: blake2b-256 of the SCALE `PovEffects` bytes. */
export const effectsHash = (effectsBytes: Uint8Array): Hash => blake2b256(effectsBytes);

/** An `Invalid` verdict with its reason cut to {@link MAX_REASON_BYTES}. */
export function invalidVerdict(reason: string): StatementVerdict {
  const bytes = new TextEncoder().encode(reason);
  return { tag: "Invalid", value: { reason: bytes.slice(0, MAX_REASON_BYTES) } };
}

/** @example const s = signStatement({ pov, relayParent, core: 0, collator, verdict }, validatorKey) */
export function signStatement(statement: Statement, key: Keypair): SignedStatement {
  return {
    statement,
    validator: key.publicKey as AccountId,
    signature: sign(message(statement), key.secretKey),
  };
}

export type StatementRefusal = "Malformed" | "Oversized" | "UnknownValidator" | "BadSignature";

/** Checks the signer is one of `validators` and the signature is theirs over the statement. */
export function verifyStatement(
  s: SignedStatement,
  validators: readonly Uint8Array[],
): Result<null, StatementRefusal> {
  if (s.statement.verdict.tag === "Invalid" && s.statement.verdict.value.reason.length > MAX_REASON_BYTES)
    return err("Oversized");
  if (!validators.some((v) => bytesEqual(v, s.validator))) return err("UnknownValidator");
  if (!verify(s.signature, message(s.statement), s.validator)) return err("BadSignature");
  return ok(null);
}

export const encodeStatement = (s: SignedStatement): Uint8Array => encode(SignedStatement, s);

/** Strict decode after a size check (wire input). */
export function decodeStatement(bytes: Uint8Array): Result<SignedStatement, StatementRefusal> {
  if (bytes.length > MAX_STATEMENT_BYTES) return err("Oversized");
  try {
    const s = decodeExact(SignedStatement, bytes, "backing statement");
    if (s.statement.verdict.tag === "Invalid" && s.statement.verdict.value.reason.length > MAX_REASON_BYTES)
      return err("Oversized");
    return ok(s);
  } catch {
    return err("Malformed");
  }
}

/** The reason of an `Invalid` verdict as text (lossy on bad UTF-8). */
export const reasonText = (v: StatementVerdict): string =>
  v.tag === "Invalid" ? new TextDecoder().decode(v.value.reason) : "";
