/**
 * The node's transaction pool. RPC users do not sign: the dev node signs for them with a dev account,
 * *when the block is built*, so nonces are always consecutive even when an earlier transaction was
 * refused (chain nonces are strict: a gap would refuse every later transaction of that signer).
 */
import type { TxApplied, TxCall, TxError } from "../chain/index.ts";
import type { Hash } from "../codec/ids.ts";
import type { Keypair } from "../crypto/ed25519.ts";

export interface Intent {
  signer: Keypair;
  call: TxCall;
  /** Settles once a block included or refused the transaction. */
  done(r: { ok: true; value: TxApplied & { hash: Hash } } | { ok: false; error: TxError }): void;
}

export interface TxPool {
  add(intent: Intent): void;
  /** Takes up to `max` intents, oldest first. */
  take(max: number): Intent[];
  /** Puts intents back at the front (they were not decided in this block). */
  putBack(intents: Intent[]): void;
  readonly size: number;
  /** Intents waiting per actor for `Call`s (to keep actor queues within capacity). */
  callsFor(actor: number): number;
}

export function createTxPool(): TxPool {
  let queue: Intent[] = [];
  const perActor = new Map<number, number>();
  const count = (i: Intent, d: number) => {
    if (i.call.tag === "Call") perActor.set(i.call.value.actor, (perActor.get(i.call.value.actor) ?? 0) + d);
  };
  return {
    add(i) {
      queue.push(i);
      count(i, 1);
    },
    take(max) {
      const out = queue.slice(0, max);
      queue = queue.slice(out.length);
      for (const i of out) count(i, -1);
      return out;
    },
    putBack(intents) {
      queue = [...intents, ...queue];
      for (const i of intents) count(i, 1);
    },
    get size() {
      return queue.length;
    },
    callsFor: (a) => perActor.get(a) ?? 0,
  };
}
