/**
 * Per-peer limits and scores: a token bucket per peer and message kind, and a misbehaviour score. A peer
 * whose score reaches the ban threshold is disconnected and refused for `banMs`. Pure bookkeeping with
 * an injectable clock.
 */

export type Kind = "blocks" | "txs" | "tx" | "votes" | "collations" | "statements" | "requests";

/** Messages per second, and the burst allowed, per peer and kind. */
export const RATES: Record<Kind, { perSecond: number; burst: number }> = {
  blocks: { perSecond: 50, burst: 200 },
  /** gossip messages of transactions (each a batch of up to 1,024) */
  txs: { perSecond: 100, burst: 400 },
  /** transactions in those messages */
  tx: { perSecond: 20_000, burst: 60_000 },
  votes: { perSecond: 100, burst: 400 },
  // issue 15: a collator sends one PoV per core per block; a validator a statement per PoV
  collations: { perSecond: 50, burst: 200 },
  statements: { perSecond: 200, burst: 800 },
  requests: { perSecond: 20, burst: 60 },
};
/** A malformed message costs 10; a rate overrun 1; at 50 the peer is banned. */
export const BAN_SCORE = 50;
export const BAN_MS = 60_000;

export interface PeerGuard {
  /** Takes `count` tokens (default 1): false when the peer is over its rate (the message is ignored, the peer scored). */
  allow(peer: string, kind: Kind, count?: number): boolean;
  /** Scores a misbehaviour; true when the peer is now banned (disconnect it). */
  penalise(peer: string, why: string, cost?: number): boolean;
  banned(peer: string): boolean;
  /** Per peer: score, bans and the last reason (net_v1_status). */
  report(): Array<{ peerId: string; score: number; banned: boolean; lastOffence?: string }>;
}

export function createPeerGuard(now: () => number = Date.now): PeerGuard {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const scores = new Map<string, { score: number; bannedUntil: number; why?: string }>();
  const rec = (peer: string) => {
    let r = scores.get(peer);
    if (!r) {
      r = { score: 0, bannedUntil: 0 };
      scores.set(peer, r);
    }
    return r;
  };
  const guard: PeerGuard = {
    allow(peer, kind, count = 1) {
      const k = `${peer}/${kind}`;
      const rate = RATES[kind];
      const t = now();
      const b = buckets.get(k) ?? { tokens: rate.burst, at: t };
      b.tokens = Math.min(rate.burst, b.tokens + ((t - b.at) / 1000) * rate.perSecond);
      b.at = t;
      buckets.set(k, b);
      if (b.tokens < count) {
        guard.penalise(peer, `${kind} over ${rate.perSecond}/s`, 1);
        return false;
      }
      b.tokens -= count;
      return true;
    },
    penalise(peer, why, cost = 10) {
      const r = rec(peer);
      r.score += cost;
      r.why = why;
      if (r.score >= BAN_SCORE && r.bannedUntil < now()) {
        r.bannedUntil = now() + BAN_MS;
        r.score = 0;
        return true;
      }
      return false;
    },
    banned: (peer) => (scores.get(peer)?.bannedUntil ?? 0) > now(),
    report: () =>
      [...scores].map(([peerId, r]) => ({
        peerId,
        score: r.score,
        banned: r.bannedUntil > now(),
        ...(r.why ? { lastOffence: r.why } : {}),
      })),
  };
  return guard;
}
