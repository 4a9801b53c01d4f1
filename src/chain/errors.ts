/** Typed errors of the relay chain. Expected protocol failures travel as `Result` values (src/errors.ts). */
import { CoreplayError } from "../errors.ts";

/** Why a transaction was refused. A refused transaction changes nothing: no fee, no nonce bump. */
export type TxErrorCode =
  | "TX_MALFORMED"
  | "TX_BAD_SIGNATURE"
  | "TX_STALE_NONCE"
  | "TX_FUTURE_NONCE"
  | "TX_FEE_TOO_LOW"
  | "TX_INSUFFICIENT_FUNDS"
  | "TX_UNKNOWN_ACTOR"
  | "TX_UNKNOWN_CODE"
  | "TX_BAD_PROGRAM"
  | "TX_TOO_LARGE"
  | "TX_QUEUE_FULL"
  | "TX_PIGEONHOLE_FULL"
  | "TX_UNKNOWN_PREIMAGE"
  | "TX_ZERO_AMOUNT"
  | "TX_NOT_OWNER"
  | "TX_RESERVATION_IN_USE"
  /** RemoveCode of a program an actor still runs. */
  | "TX_CODE_IN_USE"
  /** The node's pool: the signer has as many transactions pending as a signer may, or a nonce too far ahead. */
  | "TX_SIGNER_LIMIT"
  /** The node's pool: a future-nonce transaction waited too long for the nonces before it. */
  | "TX_EXPIRED"
  /** RegisterCollator: the signer is a collator already, or offers less than `config.collatorBond`. */
  | "TX_ALREADY_REGISTERED"
  | "TX_BOND_TOO_LOW"
  /** Report: statements that prove nothing, are forged, or a PoV reported already (disputes.ts). */
  | "TX_BAD_REPORT";

const TX_HINTS: Partial<Record<TxErrorCode, string>> = {
  TX_BAD_SIGNATURE: "sign the SCALE payload with the signer's ed25519 key (signTx)",
  TX_STALE_NONCE: "the transaction was already applied or replayed; use the account's current nonce",
  TX_FUTURE_NONCE: "send the transactions with the missing nonces first",
  TX_FEE_TOO_LOW: "use minFee(config, length) or signTx, which computes it",
  TX_INSUFFICIENT_FUNDS: "fund the account first",
  TX_UNKNOWN_ACTOR: "create the actor first, or check its id",
  TX_UNKNOWN_CODE: "upload the program blob first (Upload)",
  TX_TOO_LARGE: "stay under the chain's configured size bounds (config)",
  TX_QUEUE_FULL: "wait for a collator to run the queued calls",
  TX_PIGEONHOLE_FULL: "wait for the actor to receive its postcards",
  TX_NOT_OWNER: "sign with the actor's owner account",
  TX_RESERVATION_IN_USE: "the actor must release stored preimages first",
  TX_CODE_IN_USE: "a program can be removed once no actor runs it",
  TX_SIGNER_LIMIT: "wait for the signer's pending transactions to be included; send nonces in order",
  TX_EXPIRED: "send the transactions with the missing nonces first, then this one again",
};

/**
 * A refused transaction.
 * @example if (!r.ok) console.log(r.error.code, r.error.hint)
 */
export class TxError extends CoreplayError {
  override name = "TxError";
  declare readonly code: TxErrorCode;
  constructor(code: TxErrorCode, shortMessage: string, details?: string) {
    super(shortMessage, { code, details, hint: TX_HINTS[code] });
  }
}

/** Why a submitted PoV was not admitted to the pool. */
export type PovRejectCode =
  | "POV_BAD_CORE"
  | "POV_CORE_TAKEN"
  | "POV_ACTOR_ON_TWO_CORES"
  | "POV_NO_SLABS"
  | "POV_DUPLICATE_SLAB"
  | "POV_UNKNOWN_ACTOR"
  | "POV_STALE_SEQUENCE"
  | "POV_TOO_FAR_AHEAD"
  | "POV_DUPLICATE"
  | "POV_MALFORMED"
  /** With collators registered: the PoV's collator is not the canonical one of its lowest actor. */
  | "POV_NOT_CANONICAL";

export class PovRejected extends CoreplayError {
  override name = "PovRejected";
  declare readonly code: PovRejectCode;
  constructor(code: PovRejectCode, shortMessage: string, details?: string) {
    super(shortMessage, { code, details, hint: "build the PoV against the current relay state (relayView)" });
  }
}

/**
 * Why a pooled PoV was dropped: one of the two expiry rules of DESIGN §4, or effects that the relay
 * state refuses (pigeonhole full, quota exceeded, forged or skipped postcards, …): such a PoV can never
 * canonicalise as it is, so it is dropped whole and its slabs' sequence is free for another PoV.
 */
export type ExpiryReason =
  | { kind: "Superseded"; actor: number }
  | { kind: "PreHashMismatch"; actor: number }
  /** Waited longer than `config.poolTtl` blocks for its predecessors. */
  | { kind: "TimedOut"; admittedAt: number }
  | { kind: "EffectsRejected"; code: string; details: string };

/** Effects of a PoV that cannot apply against the relay state (internal; becomes an {@link ExpiryReason}). */
export class EffectsRejected extends CoreplayError {
  override name = "EffectsRejected";
  constructor(code: string, details: string) {
    super("PoV effects cannot apply", { code, details });
  }
}

/** A programming or configuration error of the chain itself (never a user's fault). */
export class ChainError extends CoreplayError {
  override name = "ChainError";
}

/**
 * An expiry reason in words, for blocks, logs and the dashboard (never `"[object Object]"`).
 *
 * @example describeExpiry({ kind: "TimedOut", admittedAt: 7 }) // "timed out (admitted at block 7)"
 */
export function describeExpiry(r: ExpiryReason): string {
  switch (r.kind) {
    case "Superseded":
      return `superseded: actor ${r.actor} moved past this sequence`;
    case "PreHashMismatch":
      return `pre-state mismatch: actor ${r.actor} is in another state`;
    case "TimedOut":
      return `timed out (admitted at block ${r.admittedAt})`;
    case "EffectsRejected":
      return `effects rejected: ${r.code}${r.details ? ` ${r.details}` : ""}`;
  }
}
