/**
 * Transaction gossip (DESIGN §11, issue 14 "transactions gossip to every node and enter the author's
 * block"): a client-signed transaction admitted by any node (its signature verified once there) is
 * announced on the `txs` topic in batches; a peer that receives a batch drops the ones it has seen (by
 * hash), admits the others to its own pool (which verifies each signature once, batched), and announces
 * those that verified in turn, so a transaction crosses a mesh that is not complete without anyone
 * forwarding what it did not check. Gossipsub itself forwards nothing (the verdict is "ignore"): an
 * honest node is never blamed for another's bad transaction. Bounded: batch size and bytes, per-peer
 * message and transaction rates (guard.ts), a bad signature or malformed bytes score the sender down.
 */

import { txHash } from "../chain/index.ts";
import type { Hash } from "../codec/ids.ts";
import { encode, Vector, VecU8 } from "../codec/types.ts";
import { hex, type NetContext } from "./context.ts";
import type { Verdict } from "./host.ts";
import { decodeBounded, MAX_TX_BYTES } from "./wire.ts";

/** Transactions per gossip message, and its bytes. */
export const MAX_TX_BATCH = 1024;
export const MAX_TX_BATCH_BYTES = 1024 * 1024;
/** How long a batch waits for more transactions before it is published. */
const FLUSH_MS = 20;
/** Hashes remembered (oldest forgotten first). */
const SEEN_MAX = 1 << 18;

const TxBatch = Vector(VecU8);

/** Refusals that only a forger or broken peer causes (a stale nonce is a race, not an offence). */
const OFFENCES = new Set(["TX_MALFORMED", "TX_BAD_SIGNATURE", "TX_TOO_LARGE"]);

export interface TxGossip {
  /** A transaction this node admitted (its signature verified): announce it unless peers have it. */
  announce(bytes: Uint8Array, hash: Hash): void;
  onGossip(data: Uint8Array, from: string): Verdict;
  stop(): void;
  readonly stats: { received: number; duplicates: number; announced: number; refused: number };
}

export function createTxGossip(ctx: NetContext): TxGossip {
  const seen = new Set<string>();
  const remember = (k: string) => {
    seen.add(k);
    if (seen.size > SEEN_MAX) {
      // a Set iterates in insertion order: the first is the oldest
      const first = seen.values().next().value as string;
      seen.delete(first);
    }
  };
  let out: Uint8Array[] = [];
  let outBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const stats = { received: 0, duplicates: 0, announced: 0, refused: 0 };

  function flush() {
    timer = undefined;
    if (out.length === 0 || ctx.stopped) return;
    const batch = out;
    out = [];
    outBytes = 0;
    stats.announced += batch.length;
    ctx.host.publish("txs", encode(TxBatch, batch));
  }

  /** Announced for others; `known` when it came from a peer (it was marked seen at arrival). */
  function announce(bytes: Uint8Array, hash: Hash, fromPeer: boolean) {
    const k = hex(hash);
    if (!fromPeer) {
      if (seen.has(k)) return;
      remember(k);
    }
    if (outBytes + bytes.byteLength + 8 > MAX_TX_BATCH_BYTES) flush();
    out.push(bytes);
    outBytes += bytes.byteLength + 4;
    if (out.length >= MAX_TX_BATCH) flush();
    else timer ??= setTimeout(flush, FLUSH_MS);
  }

  // hashes of transactions that came from a peer and wait for their signature check here
  const fromPeers = new Set<string>();

  return {
    stats,
    announce(bytes, hash) {
      const k = hex(hash);
      if (fromPeers.delete(k)) announce(bytes, hash, true);
      else announce(bytes, hash, false);
    },
    onGossip(data, from) {
      const txs = decodeBounded(TxBatch, data, MAX_TX_BATCH_BYTES, "transactions");
      if (txs.length > MAX_TX_BATCH || txs.some((t) => t.byteLength > MAX_TX_BYTES)) return "reject";
      if (!ctx.host.guard.allow(from, "tx", txs.length)) return "ignore";
      for (const bytes of txs) {
        stats.received++;
        const hash = txHash(bytes);
        const k = hex(hash);
        if (seen.has(k)) {
          stats.duplicates++;
          continue;
        }
        remember(k);
        fromPeers.add(k);
        ctx.node.submitSigned(bytes).catch((e: { code?: string }) => {
          fromPeers.delete(k);
          stats.refused++;
          if (e?.code && OFFENCES.has(e.code) && ctx.host.guard.penalise(from, `bad transaction (${e.code})`))
            ctx.host.drop(from);
        });
      }
      if (fromPeers.size > SEEN_MAX) fromPeers.clear();
      return "ignore";
    },
    stop() {
      if (timer) clearTimeout(timer);
    },
  };
}
