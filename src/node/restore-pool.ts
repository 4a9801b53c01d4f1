/**
 * After a restart, what was admitted before it goes back into the pool (issue 13 §2 "admitted means
 * durable"). An intent whose transaction is in the block it was signed for made it (that block
 * committed): only its record is brought up to date. Any other intent is queued again, to be signed
 * at the next block; a client-signed transaction is admitted again (a stale nonce means a block
 * already included it).
 */
import { type Chain, TxCall, TxError, txHash } from "../chain/index.ts";
import { bytesEqual } from "../codec/bytes.ts";
import type { Hash } from "../codec/ids.ts";
import { decodeExact } from "../codec/types.ts";
import type { Keypair } from "../crypto/ed25519.ts";
import type { CallKind } from "./call-status.ts";
import type { DurablePool } from "./durable-pool.ts";
import type { TxOutcome, TxPool } from "./txpool.ts";

export interface RestoreInput {
  chain: Chain;
  durable: DurablePool;
  txpool: TxPool;
  /** The keys intents may be signed with (the dev accounts). */
  dev: readonly Keypair[];
  settleIntent(id: Uint8Array, kind: CallKind, actor: number, admittedAt: number, r: TxOutcome): void;
}

/** @example restorePool({ chain, durable, txpool, dev, settleIntent }); */
export function restorePool(input: RestoreInput): { intents: number; signed: number } {
  const { chain, durable, txpool, dev, settleIntent } = input;
  let intents = 0;
  for (const p of durable.pendingIntents()) {
    const settle = (r: TxOutcome) => settleIntent(p.id, p.kind, p.actor, p.admittedAt, r);
    const a = p.attempt;
    if (a && chain.block(a.block)?.txs.some((h) => bytesEqual(h, a.txHash))) {
      // the fee it paid is in that block; the record needs only where it went
      settle({ ok: true, value: { fee: 0n, hash: a.txHash as Hash, block: a.block } });
      continue;
    }
    const signer = dev.find((k) => bytesEqual(k.publicKey, p.signer));
    let call: TxCall;
    try {
      call = decodeExact(TxCall, p.call, "call");
    } catch {
      call = undefined as never;
    }
    if (!signer || !call) {
      settle({
        ok: false,
        error: new TxError("TX_MALFORMED", "Cannot restore the call", "unknown signer or call"),
      });
      continue;
    }
    txpool.add({ signer, call, id: p.id, done: settle });
    intents++;
  }
  let signed = 0;
  for (const bytes of durable.pendingSigned()) {
    const refused = txpool.addSigned(bytes, () => durable.settleSigned(txHash(bytes)));
    if (refused) durable.settleSigned(txHash(bytes));
    else signed++;
  }
  return { intents, signed };
}
