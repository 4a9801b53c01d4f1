/**
 * The network methods of `coreplay node` (docs/rpc.md, "Network"): the node's best and final blocks
 * with their state root and author, its peers and status. They replace the dev node's `chain_v1_head`
 * and `chain_v1_block`, whose blocks have no author or state root, and leave out the `dev_` methods
 * (a network's chain is not the node's to revert or produce at will).
 */
import { RPC_ERROR, RpcError } from "./errors.ts";
import type { MethodTable } from "./server.ts";
import type { Hex } from "./types.ts";

/** What a network node offers its RPC (implemented by src/net/node.ts). */
export interface NetApi {
  head(): unknown;
  finalized(): unknown;
  block(ref: number | Hex): unknown | undefined;
  peers(): Array<{ peerId: string; address: string }>;
  status(): unknown;
  /** Disputes and collator misbehaviour recorded on chain (issue 15). */
  disputes(): unknown[];
}

/** Methods the network node does not serve (from the dev node's table). */
export const DEV_ONLY_METHODS = ["dev_v1_newBlock", "dev_v1_snapshot", "dev_v1_revert", "dev_v1_setBalance"];

/**
 * @example createMethods(api, { ...createDashboardMethods(node), ...createNetMethods(net) })
 */
export function createNetMethods(net: NetApi): MethodTable {
  return {
    chain_v1_head: (p) => {
      p.atMost(0);
      return net.head();
    },
    chain_v1_finalized: (p) => {
      p.atMost(0);
      return net.finalized();
    },
    chain_v1_block: (p) => {
      p.atMost(1);
      const v = p.raw(0);
      const ref =
        typeof v === "string" && v.startsWith("0x")
          ? p.hash(0, "block hash")
          : p.uint(0, "block number or hash");
      const b = net.block(ref);
      if (!b) {
        throw new RpcError(RPC_ERROR.UnknownBlock, "Unknown block", {
          code: "UNKNOWN_BLOCK",
          details: `no block ${JSON.stringify(ref)} on this node's best chain`,
        });
      }
      return b;
    },
    net_v1_peers: (p) => {
      p.atMost(0);
      return net.peers();
    },
    net_v1_status: (p) => {
      p.atMost(0);
      return net.status();
    },
    net_v1_disputes: (p) => {
      p.atMost(0);
      return net.disputes();
    },
  };
}
