/**
 * The node's own LMDB (beside the chain's): per-actor logs, block summaries and PoV bytes for the RPC
 * API. Informational only: the chain's database is the canonical state. Written right after each block
 * commits; a crash in between loses at most that block's summary and logs.
 */
import { open, type RootDatabase } from "lmdb";
import type { BlockJson, LogJson, PovJson } from "../rpc/types.ts";

export interface NodeDb {
  putBlock(b: BlockJson): void;
  block(n: number): BlockJson | undefined;
  putLogs(logs: LogJson[]): void;
  logs(actor: number, fromBlock: number, limit: number): LogJson[];
  putPov(id: string, bytes: Uint8Array, summary: PovJson): void;
  pov(id: string): { bytes: Uint8Array; summary: PovJson } | undefined;
  putPovSummary(id: string, summary: PovJson): void;
  /** The SCALE relay view a PoV was validated against, by PoV id (for `chain_v1_validatePov`). */
  putView(id: string, view: Uint8Array): void;
  view(id: string): Uint8Array | undefined;
  close(): Promise<void>;
}

export function createNodeDb(path: string | undefined): NodeDb {
  if (!path) return memoryDb();
  const db: RootDatabase = open({ path });
  let logSeq = 0;
  return {
    putBlock: (b) => void db.put(["block", b.number], b),
    block: (n) => db.get(["block", n]) as BlockJson | undefined,
    putLogs(logs) {
      for (const l of logs) void db.put(["log", l.actor, l.block, logSeq++], l.line);
    },
    logs(actor, fromBlock, limit) {
      const out: LogJson[] = [];
      for (const { key, value } of db.getRange({
        start: ["log", actor, fromBlock],
        end: ["log", actor + 1],
      })) {
        const k = key as [string, number, number, number];
        out.push({ actor, block: k[2], line: value as string });
      }
      return out.slice(-limit);
    },
    putPov: (id, bytes, summary) => void db.put(["pov", id], { bytes: Buffer.from(bytes), summary }),
    pov(id) {
      const v = db.get(["pov", id]) as { bytes: Uint8Array; summary: PovJson } | undefined;
      return v && { bytes: new Uint8Array(v.bytes), summary: v.summary };
    },
    putPovSummary(id, summary) {
      const v = db.get(["pov", id]) as { bytes: Uint8Array; summary: PovJson } | undefined;
      if (v) void db.put(["pov", id], { bytes: v.bytes, summary });
    },
    putView: (id, view) => void db.put(["view", id], Buffer.from(view)),
    view(id) {
      const v = db.get(["view", id]) as Uint8Array | undefined;
      return v && new Uint8Array(v);
    },
    close: () => db.close(),
  };
}

function memoryDb(): NodeDb {
  const blocks = new Map<number, BlockJson>();
  const logs = new Map<number, LogJson[]>();
  const povs = new Map<string, { bytes: Uint8Array; summary: PovJson }>();
  const views = new Map<string, Uint8Array>();
  return {
    putBlock: (b) => void blocks.set(b.number, b),
    block: (n) => blocks.get(n),
    putLogs(ls) {
      for (const l of ls) {
        if (!logs.has(l.actor)) logs.set(l.actor, []);
        logs.get(l.actor)!.push(l);
      }
    },
    logs: (actor, fromBlock, limit) =>
      (logs.get(actor) ?? []).filter((l) => l.block >= fromBlock).slice(-limit),
    putPov: (id, bytes, summary) => void povs.set(id, { bytes, summary }),
    pov: (id) => povs.get(id),
    putPovSummary(id, summary) {
      const v = povs.get(id);
      if (v) povs.set(id, { bytes: v.bytes, summary });
    },
    putView: (id, view) => void views.set(id, view),
    view: (id) => views.get(id),
    close: async () => {},
  };
}
