/**
 * Sync (DESIGN §11): every second a node asks each peer for its status and the votes it still counts;
 * a peer with a longer head (or a final block this node does not know) is synced from: up to 64 blocks
 * at a time from this node's head + 1 (from its final block + 1 when the peer is on another fork),
 * imported in order as gossip blocks are, until the peer has no more. The peer's finality proof comes
 * with the blocks and is checked once its blocks are known.
 */
import { bytesEqual } from "../codec/bytes.ts";
import { decodeExact, encode } from "../codec/types.ts";
import { headerHash } from "../consensus/header.ts";
import { decodeVote, encodeVote } from "../consensus/votes.ts";
import type { NetContext } from "./context.ts";
import type { Finality } from "./finality.ts";
import type { Importer } from "./import.ts";
import {
  decodeBounded,
  MAX_REQUEST_BYTES,
  MAX_SYNC_BLOCKS,
  MAX_SYNC_RESPONSE_BYTES,
  MAX_VOTES_RESPONSE_BYTES,
  type NetBlock,
  NetBlock as NetBlockCodec,
  Status,
  SyncRequest,
  SyncResponse,
  VoteList,
} from "./wire.ts";

export const STATUS_PROTOCOL = "status";
export const SYNC_PROTOCOL = "sync";
export const VOTES_PROTOCOL = "votes";

export interface Sync {
  statusMsg(): Status;
  /** Answers a sync request with blocks of this node's best chain. */
  serve(req: Uint8Array): Uint8Array;
  serveVotes(): Uint8Array;
  pollPeers(): Promise<void>;
  /** Downloads and imports blocks from `peer` until it has no more (one sync at a time). */
  syncFrom(peer: string): Promise<void>;
}

export function createSync(ctx: NetContext, importer: Importer, finality: Finality): Sync {
  const { chain, tree, store } = ctx;
  let pendingCommit: Uint8Array | undefined;

  const statusMsg = (): Status => {
    const fin = tree.finalized();
    const round = finality.round();
    return {
      genesis: ctx.networkId,
      head: ctx.head.number,
      headHash: ctx.head.hash,
      finalized: fin.number,
      finalizedHash: fin.hash,
      round: round < 0n ? 0n : round,
    };
  };

  function serve(req: Uint8Array): Uint8Array {
    const r = decodeBounded(SyncRequest, req, MAX_REQUEST_BYTES, "sync request");
    const blocks: NetBlock[] = [];
    let bytes = 0;
    const max = Math.min(r.max, MAX_SYNC_BLOCKS);
    for (let i = Math.max(1, r.from); i <= ctx.head.number && blocks.length < max; i++) {
      const rec = chain.block(i);
      const raw = rec && store.blockBytes(rec.hash);
      if (!raw) break;
      if (bytes + raw.byteLength > MAX_SYNC_RESPONSE_BYTES - 64 * 1024 && blocks.length > 0) break;
      bytes += raw.byteLength;
      blocks.push(decodeExact(NetBlockCodec, raw, "stored block"));
    }
    return encode(SyncResponse, { blocks, commit: finality.commitBytes() });
  }

  const serveVotes = () =>
    encode(
      VoteList,
      finality.votes().map((v) => encodeVote(v)),
    );

  async function pollPeers() {
    const peers = ctx.host.peers();
    if (peers.length === 0 && ctx.bootnodes.length === 0) ctx.polled = true;
    await Promise.all(peers.map((p) => pollPeer(p.peerId)));
  }

  async function pollPeer(peer: string) {
    try {
      const raw = await ctx.host.request(peer, STATUS_PROTOCOL, new Uint8Array(0), 256, 2000);
      const s = decodeBounded(Status, raw, 256, "status");
      if (!bytesEqual(s.genesis, ctx.networkId)) {
        ctx.host.guard.penalise(peer, "another chain", 50);
        return;
      }
      ctx.peerStatus.set(peer, s);
      ctx.polled = true;
      const fin = tree.finalized();
      if (s.head > ctx.head.number || (s.finalized > fin.number && !tree.has(s.finalizedHash))) {
        void syncFrom(peer);
      }
      // the votes the peer still counts (catch-up after a restart or a partition)
      const rawVotes = await ctx.host.request(
        peer,
        VOTES_PROTOCOL,
        new Uint8Array(0),
        MAX_VOTES_RESPONSE_BYTES,
        2000,
      );
      const votes = decodeBounded(VoteList, rawVotes, MAX_VOTES_RESPONSE_BYTES, "votes");
      let bad = 0;
      for (const bytes of votes) {
        const d = decodeVote(bytes);
        if (!d.ok || finality.onVote(d.value) === "reject") bad++;
      }
      if (bad > 0) ctx.host.guard.penalise(peer, "bad votes served");
    } catch {
      // a peer that does not answer may sit behind a dead connection (a partition): drop it, so the
      // next dial makes a fresh one
      ctx.peerStatus.delete(peer);
      ctx.host.drop(peer);
    }
  }

  async function syncFrom(peer: string): Promise<void> {
    if (ctx.syncing || ctx.stopped) return;
    ctx.syncing = true;
    try {
      let from = ctx.head.number + 1;
      for (let rounds = 0; rounds < 10_000 && !ctx.stopped; rounds++) {
        const req = encode(SyncRequest, { from, max: MAX_SYNC_BLOCKS });
        const raw = await ctx.host.request(peer, SYNC_PROTOCOL, req, MAX_SYNC_RESPONSE_BYTES, 10_000);
        const res = decodeBounded(SyncResponse, raw, MAX_SYNC_RESPONSE_BYTES, "sync response");
        if (res.blocks.length === 0) break;
        let orphan = false;
        let progressed = false;
        for (const b of res.blocks) {
          const o = await ctx.serial(() => importer.importBlock(b, headerHash(b.header)));
          if (o === "orphan") {
            orphan = true;
            break;
          }
          if (o === "bad") {
            ctx.host.guard.penalise(peer, "served a bad block");
            return;
          }
          progressed = true;
        }
        finality.recheck();
        // the peer's finality proof, checked once this node holds its blocks
        if (res.commit) pendingCommit = res.commit;
        if (pendingCommit && finality.onCommit(pendingCommit)) pendingCommit = undefined;
        if (orphan) {
          // the peer is on another fork: fetch from our last final block, where the chains meet
          const fin = tree.finalized().number;
          if (from <= fin + 1) return;
          from = fin + 1;
          continue;
        }
        // until the peer has nothing more (a chain that grows meanwhile is followed to its head)
        if (!progressed) break;
        from = res.blocks[res.blocks.length - 1]!.header.number + 1;
      }
    } catch {
      // the peer went away or timed out: the next poll tries again
    } finally {
      ctx.syncing = false;
    }
  }

  return { statusMsg, serve, serveVotes, pollPeers, syncFrom };
}
