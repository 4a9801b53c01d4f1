/**
 * Read-only methods the dashboard (dashboard/, dashboard/README.md) needs beyond docs/rpc.md: memory pages
 * and disk use per actor, postcards waiting in pigeonholes (with their senders), PoVs pending in the
 * pool, stored preimages, and an actor's recent calls with their replies. Nothing here changes state.
 */
import { toHex } from "../codec/bytes.ts";
import type { ActorId, CodeHash, Hash } from "../codec/ids.ts";
import { decodeExact, Origin, Pov } from "../codec/types.ts";
import { collatorAccount } from "../node/accounts.ts";
import { decodeCallOutput } from "../node/api.ts";
import type { CoreplayNode } from "../node/node.ts";
import { unknownActor } from "./errors.ts";
import type { MethodTable } from "./server.ts";
import type { Hex } from "./types.ts";

/** Most postcards / preimages / calls one answer lists (the counts are always exact). */
const MAX_LIST = 200;
/** How many recent blocks `dashboard_v1_actor` searches for the actor's calls. */
const CALL_SEARCH_BLOCKS = 512;
const PREFIX_PREIMAGE_INFO = 0x08;
const PREFIX_PREIMAGE_REF = 0x0a;

export interface DashboardActorJson {
  id: number;
  /** Memory in use, in 64 KiB pages (from the actor's current image). */
  pages: number;
  diskUsed: number;
  diskReserved: number;
  /** Distinct preimages this actor holds references to. */
  preimages: number;
  mailbox: number;
  queuedCalls: number;
}

export interface PostcardJson {
  /** Sending actor, or null when a signed account sent it (`actor_v1_send`). */
  from: number | null;
  to: number;
  size: number;
}

export interface PendingPovJson {
  hash: Hex;
  core: number;
  /** Collator index, -1 if the payout account is not one of this node's collators. */
  collator: number;
  actors: number[];
  admittedAt: number;
}

export interface DashboardOverviewJson {
  head: number;
  actors: DashboardActorJson[];
  postcards: PostcardJson[];
  postcardsTotal: number;
  pool: PendingPovJson[];
  disk: { items: number; bytes: number };
  preimages: { hash: Hex; size: number; refs: number }[];
}

export interface CallRecordJson {
  block: number;
  pov: Hex;
  core: number;
  input: Hex;
  ok: boolean;
  output: Hex;
  error?: string;
}

export interface DashboardActorDetailJson extends DashboardActorJson {
  diskDeposit: string;
  createdAt: number;
  preimageRefs: { hash: Hex; count: number }[];
  queued: { callId: Hex; input: Hex; queuedAt: number }[];
  postcards: { from: number | null; data: Hex }[];
  /** Calls canonicalised in the last blocks, newest first. */
  calls: CallRecordJson[];
}

const u32le = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0, true);

/**
 * Builds the dashboard's method table; pass it to the node's (`createMethods(api, extra)`), which lists it in `rpc_methods`.
 *
 * @example
 * const methods = createMethods(api, createDashboardMethods(node));
 * const server = await createRpcServer({ port, methods });
 */
export function createDashboardMethods(node: CoreplayNode): MethodTable {
  const { chain } = node;
  const pagesCache = new Map<string, number>();
  const callsCache = new Map<string, { actor: number; input: Hex; output: Uint8Array }[]>();

  const collatorIndex = (account: Uint8Array): number => {
    const hex = toHex(account);
    for (let i = 0; i < node.options.collators; i++) if (toHex(collatorAccount(i)) === hex) return i;
    return -1;
  };

  // Decoding an image is not free: cache its page count by state hash.
  const pagesOf = (id: ActorId, codeHash: CodeHash, stateHash: Hash): number => {
    const key = toHex(stateHash);
    const hit = pagesCache.get(key);
    if (hit !== undefined) return hit;
    let pages = 0;
    try {
      const slab = chain.slab(id);
      const program = node.collators.program(codeHash);
      if (slab && program) pages = program.decodeImage(slab).pageCount;
    } catch {
      // an image that does not decode shows as 0 pages
    }
    if (pagesCache.size > 10_000) pagesCache.clear();
    pagesCache.set(key, pages);
    return pages;
  };

  const preimageRefs = (id: ActorId): { hash: Hex; count: number }[] => {
    const owner = Origin.enc({ tag: "Actor", value: id });
    const prefix = new Uint8Array([PREFIX_PREIMAGE_REF, ...owner]);
    const out: { hash: Hex; count: number }[] = [];
    for (const [k, v] of node.storage.scan(prefix)) {
      out.push({ hash: toHex(k.subarray(prefix.length)), count: u32le(v, 0) });
    }
    return out;
  };

  const actorRow = (id: ActorId): DashboardActorJson | undefined => {
    const a = chain.actor(id);
    if (!a) return undefined;
    return {
      id,
      pages: pagesOf(id, a.codeHash, a.stateHash),
      diskUsed: Number(a.diskUsed),
      diskReserved: Number(a.diskReserved),
      preimages: preimageRefs(id).length,
      mailbox: chain.pigeonhole(id)?.messages.length ?? 0,
      queuedCalls: a.calls.len,
    };
  };

  const from = (o: Origin): number | null => (o.tag === "Actor" ? (o.value as number) : null);

  // The Call items of a canonicalised PoV, decoded once.
  const povCalls = (hash: Hex) => {
    const hit = callsCache.get(hash);
    if (hit) return hit;
    const stored = node.db.pov(hash);
    if (!stored || stored.pruned) return [];
    let calls: { actor: number; input: Hex; output: Uint8Array }[] = [];
    try {
      calls = decodeExact(Pov, stored.bytes, "PoV").agenda.flatMap((item) =>
        item.entry.tag === "Call"
          ? [
              {
                actor: item.actor as number,
                input: toHex(item.entry.value.input),
                output: item.entry.value.output,
              },
            ]
          : [],
      );
    } catch {
      // a PoV this node stored always decodes; if not, it has no calls to show
    }
    if (callsCache.size > 2_000) callsCache.clear();
    callsCache.set(hash, calls);
    return calls;
  };

  const recentCalls = (actor: number): CallRecordJson[] => {
    const out: CallRecordJson[] = [];
    const head = chain.head().number;
    for (let n = head; n > 0 && n > head - CALL_SEARCH_BLOCKS && out.length < 20; n--) {
      const b = node.blockSummary(n);
      if (!b) continue;
      for (const p of b.povs) {
        if (!p.actors.includes(actor) || p.calls === 0) continue;
        for (const c of povCalls(p.hash)) {
          if (c.actor !== actor) continue;
          let res: { ok: boolean; output: Hex; error?: string };
          try {
            res = decodeCallOutput(c.output);
          } catch {
            res = { ok: false, output: "0x", error: "Malformed" };
          }
          out.push({ block: n, pov: p.hash, core: p.core, input: c.input, ...res });
        }
      }
    }
    return out.slice(0, 20);
  };

  return {
    /** Everything the theatre view draws that `actor_v1_list` and `chain_v1_head` do not carry. */
    dashboard_v1_overview: (p) => {
      p.atMost(0);
      const ids = chain.actorIds();
      const postcards: PostcardJson[] = [];
      let postcardsTotal = 0;
      for (const id of ids) {
        const msgs = chain.pigeonhole(id)?.messages ?? [];
        postcardsTotal += msgs.length;
        for (const m of msgs) {
          if (postcards.length >= MAX_LIST) break;
          postcards.push({ from: from(m.from), to: id, size: m.data.length });
        }
      }
      const preimages: DashboardOverviewJson["preimages"] = [];
      let items = 0;
      let bytes = 0;
      for (const [k, v] of node.storage.scan(new Uint8Array([PREFIX_PREIMAGE_INFO]))) {
        // PreimageInfo = { refs: u32, size: u32 } (src/chain/state.ts)
        const refs = u32le(v, 0);
        const size = u32le(v, 4);
        items++;
        bytes += size;
        if (preimages.length < MAX_LIST) preimages.push({ hash: toHex(k.subarray(1)), size, refs });
      }
      const overview: DashboardOverviewJson = {
        head: chain.head().number,
        actors: ids.map((id) => actorRow(id)!).filter(Boolean),
        postcards,
        postcardsTotal,
        pool: chain.pool().map((e) => ({
          hash: toHex(e.id),
          core: e.core,
          collator: collatorIndex(e.collator),
          actors: e.slabs.map((s) => s.actor as number),
          admittedAt: e.admittedAt,
        })),
        disk: { items, bytes },
        preimages,
      };
      return overview;
    },

    /** The actor page's extras: disk account, preimages, queued calls, waiting postcards, recent calls. */
    dashboard_v1_actor: (p) => {
      p.atMost(1);
      const id = p.actor(0) as ActorId;
      const a = chain.actor(id);
      const row = actorRow(id);
      if (!a || !row) throw unknownActor(id);
      const detail: DashboardActorDetailJson = {
        ...row,
        diskDeposit: a.diskDeposit.toString(),
        createdAt: a.createdAt,
        preimageRefs: preimageRefs(id).slice(0, MAX_LIST),
        queued: chain
          .pendingCalls(id)
          .slice(0, MAX_LIST)
          .map((c) => ({ callId: toHex(c.id), input: toHex(c.input), queuedAt: c.queuedAt })),
        postcards: (chain.pigeonhole(id)?.messages ?? [])
          .slice(0, MAX_LIST)
          .map((m) => ({ from: from(m.from), data: toHex(m.data.subarray(0, 64)) })),
        calls: recentCalls(id),
      };
      return detail;
    },
  };
}
