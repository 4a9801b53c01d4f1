/**
 * The lifecycle of a call or postcard sent through the RPC (issue 13 §2): every one can be followed
 * from the moment it is admitted. Shared by the node (which records it) and the RPC API (which reports
 * it); the shapes are plain data, persisted as they are.
 *
 * - `queued`: admitted (durable), waiting in the pool or, once a block included its transaction, in the
 *   actor's call queue.
 * - `canonicalised`: a call's receipt is on chain (a PoV ran it); a postcard's transaction is in a block
 *   (it is in the pigeonhole).
 * - `dropped`: its transaction was refused; `reason` says why (the chain's or the pool's code).
 */
import type { Receipt } from "../chain/index.ts";

export type CallKind = "call" | "send";

export interface DropReason {
  code: string;
  message: string;
  details?: string;
}

/** What the node records of an admitted call (by call id). */
export type CallRecord =
  | {
      state: "queued";
      kind: CallKind;
      actor: number;
      /** The head when it was admitted. */
      admittedAt: number;
      /** Its transaction once a block included it: the chain's call id (receipts are keyed by it). */
      included?: { txHash: Uint8Array; block: number };
    }
  | {
      state: "dropped";
      kind: CallKind;
      actor: number;
      admittedAt: number;
      block: number;
      reason: DropReason;
    };

/** A call's status as reported. */
export type CallStatus =
  | { status: "queued"; actor: number; kind: CallKind }
  | { status: "canonicalised"; actor: number; kind: CallKind; block: number; receipt?: Receipt }
  | { status: "dropped"; actor: number; kind: CallKind; block: number; reason: DropReason };

/**
 * A recorded call's status, given the chain's receipt lookup.
 *
 * @example statusOf(record, (h) => chain.receipt(h)) // { status: "queued", actor: 3, kind: "call" }
 */
export function statusOf(r: CallRecord, receipt: (txHash: Uint8Array) => Receipt | undefined): CallStatus {
  if (r.state === "dropped") {
    return { status: "dropped", actor: r.actor, kind: r.kind, block: r.block, reason: r.reason };
  }
  if (r.included) {
    if (r.kind === "send")
      return { status: "canonicalised", actor: r.actor, kind: r.kind, block: r.included.block };
    const got = receipt(r.included.txHash);
    if (got) return { status: "canonicalised", actor: r.actor, kind: r.kind, block: got.block, receipt: got };
  }
  return { status: "queued", actor: r.actor, kind: r.kind };
}
