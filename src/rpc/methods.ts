/**
 * The Coreplay RPC methods (docs/rpc.md), bound to a {@link NodeApi}. Names follow Substrate's new
 * JSON-RPC style `group_v1_method`.
 */
import { toHex } from "../codec/bytes.ts";
import { invalidParams, RPC_ERROR, RpcError, unknownActor } from "./errors.ts";
import type { Params } from "./params.ts";
import type { MethodContext, MethodTable } from "./server.ts";
import type { ActorEvent, ChainEvent, Hex, NodeApi } from "./types.ts";

const DEFAULT_WAIT_MS = 60_000;

/**
 * Builds the method table for `createRpcServer`.
 *
 * @example
 * const server = await createRpcServer({ port: 9944, methods: createMethods(node.api) });
 * // more methods (listed by rpc_methods too):
 * createMethods(api, createDashboardMethods(node));
 */
export function createMethods(api: NodeApi, extra: MethodTable = {}): MethodTable {
  const actorOr404 = (p: Params, i = 0) => {
    const id = p.actor(i);
    const a = api.actor(id);
    if (!a) throw unknownActor(id);
    return a;
  };
  const blockRef = (p: Params, i: number): number | Hex => {
    const v = p.raw(i);
    if (typeof v === "string" && v.startsWith("0x")) return p.hash(i, "block hash");
    return p.uint(i, "block number or hash");
  };
  const unsubscribe = (p: Params, ctx: MethodContext) => {
    p.atMost(1);
    const id = p.raw(0);
    if (typeof id !== "string") throw invalidParams("param 0 (subscription) must be a string");
    if (!ctx.unsubscribe(id)) {
      throw new RpcError(RPC_ERROR.UnknownSubscription, "Unknown subscription", {
        code: "UNKNOWN_SUBSCRIPTION",
        details: `no subscription ${JSON.stringify(id)} on this connection`,
      });
    }
    return true;
  };

  const table: MethodTable = {
    rpc_methods: (p) => {
      p.atMost(0);
      return { methods: Object.keys({ ...table, ...extra }).sort() };
    },
    node_v1_info: (p) => {
      p.atMost(0);
      return api.info();
    },

    chain_v1_head: (p) => {
      p.atMost(0);
      return api.head();
    },
    chain_v1_block: (p) => {
      p.atMost(1);
      const ref = blockRef(p, 0);
      const b = api.block(ref);
      if (!b) {
        throw new RpcError(RPC_ERROR.UnknownBlock, "Unknown block", {
          code: "UNKNOWN_BLOCK",
          details: `no block ${ref}; the head is ${api.head().number}`,
        });
      }
      return b;
    },
    chain_v1_follow: (p, ctx) => {
      p.atMost(0);
      return ctx.subscribe("chain_v1_followEvent", (emit) =>
        api.subscribe((e) => {
          if (
            e.event === "newBlock" ||
            e.event === "canonicalised" ||
            e.event === "expired" ||
            e.event === "invalid"
          ) {
            emit(e satisfies ChainEvent);
          }
        }),
      );
    },
    chain_v1_unfollow: unsubscribe,
    chain_v1_pov: (p) => {
      p.atMost(1);
      const h = p.hash(0, "pov hash");
      const bytes = api.pov(h);
      if (!bytes) {
        throw new RpcError(RPC_ERROR.UnknownBlock, "Unknown PoV", {
          code: "UNKNOWN_POV",
          details: `no PoV ${h}`,
        });
      }
      return toHex(bytes);
    },
    chain_v1_validatePov: async (p) => {
      p.atMost(1);
      return api.validatePov(p.bytes(0, "pov"));
    },

    state_v1_proof: (p) => {
      p.atMost(2);
      const k = p.bytes(0, "storage key");
      const head = api.head();
      if (!p.optional(1)) {
        const ref = blockRef(p, 1);
        if (ref !== head.number && ref !== head.hash) {
          throw new RpcError(RPC_ERROR.UnknownBlock, "No state at that block", {
            code: "UNKNOWN_BLOCK",
            details: `proofs are served at the head (${head.number}, ${head.hash}) only; asked for ${ref}`,
            hint: "omit the block, or pass the head's number or hash",
          });
        }
      }
      return api.stateProof(k);
    },

    code_v1_upload: async (p) => {
      p.atMost(1);
      return api.uploadCode(p.bytes(0, "program"));
    },

    actor_v1_create: async (p) => {
      p.atMost(3);
      const codeHash = p.hash(0, "codeHash");
      const args = p.optional(1) ? new Uint8Array() : p.bytes(1, "args");
      const balance = p.optional(2) ? undefined : p.amount(2, "balance");
      return api.createActor({ codeHash, args, balance });
    },
    actor_v1_list: (p) => {
      p.atMost(0);
      return api.listActors();
    },
    actor_v1_state: (p) => {
      p.atMost(1);
      return actorOr404(p);
    },
    actor_v1_call: async (p) => {
      p.atMost(3);
      const a = actorOr404(p);
      const data = p.bytes(1, "data");
      const o = p.options(2, "options");
      const { callId } = await api.submitCall(a.id, data);
      if (o.wait !== true) return { callId };
      const timeout = typeof o.timeoutMs === "number" && o.timeoutMs > 0 ? o.timeoutMs : DEFAULT_WAIT_MS;
      return api.waitReceipt(callId, timeout);
    },
    actor_v1_send: async (p) => {
      p.atMost(2);
      const a = actorOr404(p);
      return api.send(a.id, p.bytes(1, "data"));
    },
    actor_v1_receipt: async (p) => {
      p.atMost(2);
      const callId = p.hash(0, "callId");
      const o = p.options(1, "options");
      if (o.wait === true) {
        const timeout = typeof o.timeoutMs === "number" && o.timeoutMs > 0 ? o.timeoutMs : DEFAULT_WAIT_MS;
        return api.waitReceipt(callId, timeout);
      }
      const r = api.receipt(callId);
      if (!r) {
        throw new RpcError(RPC_ERROR.Rejected, "Unknown call", {
          code: "UNKNOWN_CALL",
          details: `no call ${callId}`,
          hint: "call ids come from actor_v1_call",
        });
      }
      return r;
    },
    actor_v1_query: async (p) => {
      p.atMost(2);
      const a = actorOr404(p);
      return api.query(a.id, p.bytes(1, "data"));
    },
    actor_v1_logs: (p) => {
      p.atMost(2);
      const a = actorOr404(p);
      const o = p.options(1, "options");
      const num = (k: string) => {
        const v = o[k];
        if (v === undefined) return undefined;
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
          throw invalidParams(`options.${k} must be a non-negative integer`);
        }
        return v;
      };
      return api.logs(a.id, { fromBlock: num("fromBlock"), limit: num("limit") });
    },
    actor_v1_follow: (p, ctx) => {
      p.atMost(1);
      const a = actorOr404(p);
      return ctx.subscribe("actor_v1_followEvent", (emit) =>
        api.subscribe((e) => {
          const hit =
            (e.event === "state" && e.actor.id === a.id) ||
            (e.event === "log" && e.log.actor === a.id) ||
            (e.event === "receipt" && e.receipt.actor === a.id);
          if (hit) emit(e as ActorEvent);
        }),
      );
    },
    actor_v1_unfollow: unsubscribe,

    tx_v1_submit: async (p) => {
      p.atMost(1);
      return (await api.submitTx(p.bytes(0, "signed transaction"))).hash;
    },
    tx_v1_prepare: (p) => {
      p.atMost(1);
      return api.txPrepare(p.hash(0, "account"));
    },
    tx_v1_status: (p) => {
      p.atMost(1);
      const h = p.hash(0, "transaction hash");
      const s = api.txStatus(h);
      if (!s) {
        throw new RpcError(RPC_ERROR.Rejected, "Unknown transaction", {
          code: "UNKNOWN_TX",
          details: `no transaction ${h} submitted with tx_v1_submit (the node keeps the latest 10000)`,
          hint: "transaction hashes come from tx_v1_submit",
        });
      }
      return s;
    },

    disk_v1_store: async (p) => {
      p.atMost(1);
      return api.diskStore(p.bytes(0, "data"));
    },
    disk_v1_get: (p) => {
      p.atMost(1);
      const h = p.hash(0, "hash");
      const b = api.diskGet(h);
      return b ? toHex(b) : null;
    },
    disk_v1_stats: (p) => {
      p.atMost(0);
      return api.diskStats();
    },

    dev_v1_newBlock: async (p) => {
      p.atMost(1);
      const o = p.options(0, "options");
      const count = o.count === undefined ? 1 : o.count;
      if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 1 || count > 10_000) {
        throw invalidParams("options.count must be an integer in 1..=10000");
      }
      return api.newBlocks(count);
    },
    dev_v1_snapshot: async (p) => {
      p.atMost(0);
      return api.snapshot();
    },
    dev_v1_revert: async (p) => {
      p.atMost(1);
      const id = p.raw(0);
      if (typeof id !== "string") throw invalidParams("param 0 (snapshot id) must be a string");
      return api.revert(id);
    },
    dev_v1_setBalance: async (p) => {
      p.atMost(2);
      const v = p.raw(0);
      const target =
        typeof v === "string" && v.startsWith("0x")
          ? { account: p.hash(0, "account") }
          : { actor: actorOr404(p).id };
      return api.setBalance(target, p.amount(1, "amount"));
    },
    dev_v1_accounts: (p) => {
      p.atMost(0);
      return api.accounts();
    },
  };
  return { ...table, ...extra };
}
