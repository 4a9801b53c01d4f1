/**
 * JSON-RPC 2.0 errors (https://www.jsonrpc.org/specification#error_object) with Coreplay's `data`:
 * `{ code, details, hint }`, so a client can show what went wrong and what to do. docs/rpc.md lists them.
 */
import { CoreplayError } from "../errors.ts";

/** JSON-RPC error codes. -32768..-32000 are reserved by the spec; ours live in -32000..-32099. */
export const RPC_ERROR = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  /** The request (or one message of a batch) is above the server's size limit. */
  TooLarge: -32000,
  UnknownActor: -32001,
  UnknownBlock: -32002,
  UnknownCode: -32003,
  /** A subscription method was called over HTTP. */
  NeedsWebSocket: -32004,
  UnknownSubscription: -32005,
  /** The program blob was rejected (not a Coreplay program, bad Wasm, bad imports). */
  BadProgram: -32006,
  /** Not enough balance, queue full, unknown snapshot, ... : the request was well-formed but refused. */
  Rejected: -32007,
  /** A `wait` ran out before the call was canonicalised. */
  Timeout: -32008,
  /** The node is not able to do this (e.g. a layer it needs is missing). */
  Unavailable: -32009,
  /** A per-connection limit was reached (subscriptions). */
  Limit: -32010,
  /** The block or PoV is older than the node's `--pruning` depth: its bytes are gone. */
  Pruned: -32011,
} as const;

export interface RpcErrorData {
  /** Stable machine-readable code, e.g. `"UNKNOWN_ACTOR"`. */
  code: string;
  details?: string;
  hint?: string;
}

/** The JSON error object carried in a JSON-RPC response. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: RpcErrorData;
}

/**
 * An error that maps to one JSON-RPC error object. Thrown by method handlers and by the client.
 *
 * @example
 * throw new RpcError(RPC_ERROR.UnknownActor, "Unknown actor", {
 *   code: "UNKNOWN_ACTOR", details: "no actor 7", hint: "list actors with `coreplay actor --all`",
 * });
 */
export class RpcError extends CoreplayError {
  override name = "RpcError";
  readonly rpcCode: number;

  constructor(
    rpcCode: number,
    shortMessage: string,
    opts: { code: string; details?: string; hint?: string; cause?: unknown },
  ) {
    super(shortMessage, opts);
    this.rpcCode = rpcCode;
  }

  toJSON(): RpcErrorObject {
    const data: RpcErrorData = { code: this.code };
    if (this.details !== undefined) data.details = this.details;
    if (this.hint !== undefined) data.hint = this.hint;
    return { code: this.rpcCode, message: this.shortMessage, data };
  }

  static fromObject(o: RpcErrorObject): RpcError {
    return new RpcError(o.code, o.message, {
      code: o.data?.code ?? "RPC_ERROR",
      details: o.data?.details,
      hint: o.data?.hint,
    });
  }
}

export const invalidParams = (details: string, hint?: string): RpcError =>
  new RpcError(RPC_ERROR.InvalidParams, "Invalid params", { code: "INVALID_PARAMS", details, hint });

export const unknownActor = (id: number): RpcError =>
  new RpcError(RPC_ERROR.UnknownActor, "Unknown actor", {
    code: "UNKNOWN_ACTOR",
    details: `no actor with id ${id}`,
    hint: "deploy one with `coreplay deploy <program.cpl>`, or list actors with `actor_v1_list`",
  });

/**
 * Turns anything a handler threw into a JSON-RPC error object. A {@link CoreplayError} from a lower layer
 * keeps its code, details and hint (as `Rejected`, since the request reached the node but was refused);
 * anything else is an internal error, reported without crashing the server.
 */
export function toRpcError(e: unknown): RpcErrorObject {
  if (e instanceof RpcError) return e.toJSON();
  if (e instanceof CoreplayError) {
    const rpcCode =
      e.code === "INVALID_HEX" || e.code.startsWith("INVALID_")
        ? RPC_ERROR.InvalidParams
        : RPC_ERROR.Rejected;
    return new RpcError(rpcCode, e.shortMessage, {
      code: e.code,
      details: e.details,
      hint: e.hint,
    }).toJSON();
  }
  return {
    code: RPC_ERROR.Internal,
    message: "Internal error",
    data: { code: "INTERNAL", details: e instanceof Error ? e.message : String(e) },
  };
}
