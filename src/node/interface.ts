/**
 * What the node says about an actor's interface and a signed call's result: the interface from its
 * program's metadata (`actor_v1_interface`), and the receipt a `tx_v1_status` carries for a signed call
 * (its call id is the transaction's hash, src/chain/types.ts `TxApplied.hash`).
 */
import { TxCall } from "../chain/tx.ts";
import type { ActorId } from "../codec/ids.ts";
import { type ActorInterface, interfaceFromJson } from "../iface/index.ts";
import type { ReceiptJson, TxStatusJson } from "../rpc/types.ts";
import type { CoreplayNode } from "./node.ts";

/** The interface the actor's program declares, `null` when none; `undefined` for no such actor. */
export function actorInterface(node: CoreplayNode, id: ActorId): ActorInterface | null | undefined {
  const a = node.chain.actor(id);
  if (!a) return undefined;
  const p = node.collators.program(a.codeHash);
  return p ? (interfaceFromJson(p.metadata.interface) ?? null) : null;
}

// SignedTx = { payload: { signer [32], nonce u64, fee u128, call: TxCall }, signature }: the call's
// tag is byte 56, a Call's actor the u32 after it (src/chain/tx.ts).
const CALL_TAG_AT = 32 + 8 + 16;
const CALL_INDEX = TxCall.enc({ tag: "Call", value: { actor: 0 as ActorId, input: new Uint8Array() } })[0];

/** The actor a signed transaction calls, read in place; undefined when it is not a `Call`. */
export function signedCallActor(bytes: Uint8Array): number | undefined {
  if (bytes.length < CALL_TAG_AT + 5 || bytes[CALL_TAG_AT] !== CALL_INDEX) return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset + CALL_TAG_AT + 1, 4).getUint32(0, true);
}

/**
 * A transaction's status with the receipt of the call it made: `queued` (recorded at inclusion) until a
 * play ran it, then what `actor_v1_receipt` reports (output or error, block, PoV).
 */
export function withCallReceipt(
  s: TxStatusJson | undefined,
  receipt: (callId: TxStatusJson["hash"]) => ReceiptJson | undefined,
): TxStatusJson | undefined {
  if (s?.receipt?.status !== "queued") return s;
  const r = receipt(s.hash);
  return r ? { ...s, receipt: r } : s;
}

/** The PoV that canonicalised a call: the one of its block that played the actor (one per block). */
export function receiptPov(node: CoreplayNode, actor: number, block: number): { pov?: `0x${string}` } {
  const pov = node.blockSummary(block)?.povs.find((p) => p.actors.includes(actor))?.hash;
  return pov === undefined ? {} : { pov };
}
