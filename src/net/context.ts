/**
 * What the parts of a network node share (node.ts builds it; authorship.ts, import.ts, finality.ts and
 * sync.ts read and move it): the chain and its storage, the block tree, the executed head, counters,
 * and one queue through which every chain-changing step (authorship, import, reverts) runs alone.
 */
import type { BlockHeader, Chain } from "../chain/index.ts";
import { toHex } from "../codec/bytes.ts";
import type { AccountId, Hash } from "../codec/ids.ts";
import type { BlockRef, BlockTree } from "../consensus/block-tree.ts";
import type { Keypair } from "../crypto/ed25519.ts";
import type { CoreplayNode } from "../node/node.ts";
import type { Host } from "./host.ts";
import type { JournaledStorage } from "./journal.ts";
import type { ChainSpec } from "./spec.ts";
import type { NetStore } from "./store.ts";
import type { Status } from "./wire.ts";

export interface NetContext {
  readonly spec: ChainSpec;
  readonly validators: readonly AccountId[];
  /** This node's index among the validators; -1 for a collator process (issue 15). */
  readonly index: number;
  /**
   * Backing by the validators' groups (issue 15), when the spec names collators: PoVs come from
   * collator processes, and followers check statements instead of re-executing.
   */
  backing?: import("./backing/service.ts").BackingService;
  readonly keypair: Keypair;
  readonly bootnodes: readonly string[];
  /** The network's id (spec hash and chain genesis): topic names, status, never a block. */
  readonly networkId: Hash;
  readonly node: CoreplayNode;
  readonly chain: Chain;
  readonly storage: JournaledStorage;
  readonly store: NetStore;
  readonly tree: BlockTree;
  /** Set once the libp2p host started (before any timer runs). */
  host: Host;
  /** The chain's head: the last block this node executed (always a tree block). */
  head: BlockRef;
  stopped: boolean;
  /** Whether a sync from a peer is running, and whether this node heard any peer's status yet. */
  syncing: boolean;
  polled: boolean;
  readonly peerStatus: Map<string, Status>;
  readonly counts: { authored: number; imported: number };
  /** How long recent blocks took to author and to import (ms, with their transaction counts). */
  readonly timing: BlockTiming;
  /** Blocks found invalid (never asked for or imported again). */
  readonly bad: Set<string>;
  refuse(why: string): void;
  readonly refused: Record<string, number>;
  /** The header of a tree block (genesis included). */
  headerOf(hash: Uint8Array): BlockHeader | undefined;
  noteHeader(hash: Hash, header: BlockHeader): void;
  forgetHeader(hash: Uint8Array): void;
  /** Runs `fn` after every chain-changing step before it; `what` names it in `net_v1_status.busy`. */
  serial<T>(what: string, fn: () => Promise<T>): Promise<T>;
  /** The chain-changing step running now, and since when (a step that never ends stalls the node). */
  busy: { what: string; since: number } | undefined;
  /** The highest head a peer reported. */
  bestPeerHead(): number;
  /** Hooks between the parts: the head moved (votes may follow), finality moved (fork choice may). */
  onHeadMoved(): void;
}

export const hex = (h: Uint8Array): string => toHex(h);

/** The index of `author` among the validators (-1 if none). */
export const authorIndex = (validators: readonly AccountId[], author: Uint8Array): number =>
  validators.findIndex((v) => hex(v) === hex(author));

/** The last few blocks' costs: what the author's budget (authorship.ts) is sized from. */
export interface BlockTiming {
  /** `povMs`: the part spent re-validating PoVs (import). */
  note(kind: "author" | "import", ms: number, txs: number, povMs?: number): void;
  /** Median ms per block and per transaction over the recent blocks of that kind. */
  report(): {
    authorMs: number;
    importMs: number;
    importPovMs: number;
    importMsPerTx: number;
    authorMsPerTx: number;
  };
}

export function createBlockTiming(keep = 16): BlockTiming {
  const rows: Record<"author" | "import", Array<{ ms: number; txs: number; povMs: number }>> = {
    author: [],
    import: [],
  };
  const median = (xs: number[]) => {
    if (xs.length === 0) return 0;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  };
  // per transaction: the block's time less its PoV re-validation (bounded by cores × core gas, not by
  // the transactions taken), over blocks with enough transactions to say
  const perTx = (r: Array<{ ms: number; txs: number; povMs: number }>) =>
    median(r.filter((x) => x.txs >= 20).map((x) => Math.max(0, x.ms - x.povMs) / x.txs));
  return {
    note(kind, ms, txs, povMs = 0) {
      const r = rows[kind];
      r.push({ ms, txs, povMs });
      if (r.length > keep) r.shift();
    },
    report: () => ({
      authorMs: Math.round(median(rows.author.map((x) => x.ms))),
      importMs: Math.round(median(rows.import.map((x) => x.ms))),
      importPovMs: Math.round(median(rows.import.map((x) => x.povMs))),
      authorMsPerTx: perTx(rows.author),
      importMsPerTx: perTx(rows.import),
    }),
  };
}
