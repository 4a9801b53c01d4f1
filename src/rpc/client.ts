/**
 * A typed client for a Coreplay node: one method per RPC call (docs/rpc.md). Requests go over HTTP;
 * subscriptions open one WebSocket lazily.
 */
import WebSocket from "ws";
import { toHex } from "../codec/bytes.ts";
import { CoreplayError } from "../errors.ts";
import { RpcError, type RpcErrorObject } from "./errors.ts";
import type {
  AccountJson,
  ActorEvent,
  ActorJson,
  BlockJson,
  ChainEvent,
  Hex,
  LogJson,
  NodeInfoJson,
  ReceiptJson,
  TxStatusJson,
} from "./types.ts";

/** The node did not answer at all (not running, wrong port). */
export class NodeUnreachableError extends CoreplayError {
  override name = "NodeUnreachableError";
  constructor(url: string, cause?: unknown) {
    super(`No node at ${url}`, {
      code: "NODE_UNREACHABLE",
      details: cause instanceof Error ? cause.message : undefined,
      hint: "start one with `npx coreplay dev`, or pass --url",
      cause,
    });
  }
}

export interface Subscription {
  readonly id: string;
  unsubscribe(): Promise<void>;
}

type Bytesish = Uint8Array | Hex;
const hex = (b: Bytesish): Hex => (typeof b === "string" ? b : toHex(b));

export interface Client {
  readonly url: string;
  request<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  methods(): Promise<string[]>;
  info(): Promise<NodeInfoJson>;
  chain: {
    head(): Promise<BlockJson>;
    block(ref: number | Hex): Promise<BlockJson>;
    pov(hash: Hex): Promise<Hex>;
    validatePov(pov: Bytesish): Promise<{ valid: boolean; reason: string }>;
    follow(onEvent: (e: ChainEvent) => void): Promise<Subscription>;
  };
  code: {
    upload(program: Bytesish): Promise<{ codeHash: Hex; name: string }>;
  };
  actor: {
    create(codeHash: Hex, args?: Bytesish, balance?: bigint): Promise<{ actor: number; codeHash: Hex }>;
    list(): Promise<ActorJson[]>;
    state(id: number): Promise<ActorJson>;
    call(id: number, data: Bytesish): Promise<{ callId: Hex }>;
    callAndWait(id: number, data: Bytesish, timeoutMs?: number): Promise<ReceiptJson>;
    send(id: number, data: Bytesish): Promise<{ callId: Hex; block: number }>;
    receipt(callId: Hex, wait?: { timeoutMs: number }): Promise<ReceiptJson>;
    query(id: number, data: Bytesish): Promise<{ ok: boolean; output: Hex; error?: string }>;
    logs(id: number, opts?: { fromBlock?: number; limit?: number }): Promise<LogJson[]>;
    follow(id: number, onEvent: (e: ActorEvent) => void): Promise<Subscription>;
  };
  tx: {
    /** Submits a transaction the caller signed (`signTx` bytes); its hash once the node admitted it. */
    submit(signed: Bytesish): Promise<Hex>;
    status(hash: Hex): Promise<TxStatusJson>;
    /** The account's next nonce (counting its transactions pending in the pool) and the fee rule. */
    prepare(account: Hex): Promise<{ nonce: string; baseFee: string; feePerByte: string }>;
  };
  disk: {
    store(data: Bytesish): Promise<{ hash: Hex }>;
    get(hash: Hex): Promise<Hex | null>;
    stats(): Promise<{ items: number; bytes: number }>;
  };
  dev: {
    newBlock(count?: number): Promise<BlockJson>;
    snapshot(): Promise<{ id: string; block: number }>;
    revert(id: string): Promise<BlockJson>;
    setBalance(target: number | Hex, amount: bigint): Promise<{ balance: string }>;
    accounts(): Promise<AccountJson[]>;
  };
  /** Closes the WebSocket, if one was opened. */
  close(): Promise<void>;
}

/**
 * The HTTP address of a node given as `http(s)://…`, `ws(s)://…` (what `coreplay dev` prints: both are
 * served on one port) or a bare `host:port`.
 *
 * @example normalizeUrl("ws://127.0.0.1:9944") // "http://127.0.0.1:9944"
 */
export function normalizeUrl(url: string): string {
  const u = url.trim().replace(/\/+$/, "");
  if (/^wss:\/\//i.test(u)) return `https://${u.slice(6)}`;
  if (/^ws:\/\//i.test(u)) return `http://${u.slice(5)}`;
  if (/^https?:\/\//i.test(u)) return u;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) return u; // another scheme: fetch reports it
  return `http://${u}`;
}

/**
 * Connects to a node. Nothing is sent until the first call.
 *
 * @example
 * const client = createClient("http://127.0.0.1:9944");
 * const { codeHash } = await client.code.upload(programBytes);
 * const { actor } = await client.actor.create(codeHash);
 * const receipt = await client.actor.callAndWait(actor, "0x01");
 */
export function createClient(url: string): Client {
  const base = normalizeUrl(url);
  let nextId = 1;
  let ws: WebSocket | undefined;
  let wsReady: Promise<WebSocket> | undefined;
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: unknown) => void }>();
  const listeners = new Map<string, (result: unknown) => void>();

  async function request<T>(method: string, params: unknown[] = []): Promise<T> {
    let res: globalThis.Response;
    try {
      res = await fetch(base, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
      });
    } catch (e) {
      throw new NodeUnreachableError(base, (e as { cause?: unknown }).cause ?? e);
    }
    const body = (await res.json()) as { result?: T; error?: RpcErrorObject };
    if (body.error) throw RpcError.fromObject(body.error);
    return body.result as T;
  }

  function socket(): Promise<WebSocket> {
    if (wsReady) return wsReady;
    wsReady = new Promise((ok, fail) => {
      const s = new WebSocket(base.replace(/^http/, "ws"));
      s.once("open", () => {
        ws = s;
        ok(s);
      });
      s.once("error", (e) => fail(new NodeUnreachableError(base, e)));
      s.on("message", (data: Buffer) => {
        const m = JSON.parse(data.toString("utf8")) as {
          id?: number;
          result?: unknown;
          error?: RpcErrorObject;
          params?: { subscription: string; result: unknown };
        };
        if (m.id !== undefined && pending.has(m.id)) {
          const p = pending.get(m.id)!;
          pending.delete(m.id);
          if (m.error) p.fail(RpcError.fromObject(m.error));
          else p.ok(m.result);
        } else if (m.params?.subscription !== undefined) {
          listeners.get(m.params.subscription)?.(m.params.result);
        }
      });
      s.on("close", () => {
        for (const p of pending.values()) p.fail(new NodeUnreachableError(base));
        pending.clear();
      });
    });
    return wsReady;
  }

  async function wsRequest<T>(method: string, params: unknown[]): Promise<T> {
    const s = await socket();
    const id = nextId++;
    return new Promise<T>((ok, fail) => {
      pending.set(id, { ok: ok as (v: unknown) => void, fail });
      s.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  async function subscribe(
    method: string,
    unsubMethod: string,
    params: unknown[],
    onEvent: (r: never) => void,
  ): Promise<Subscription> {
    const id = await wsRequest<string>(method, params);
    listeners.set(id, onEvent as (r: unknown) => void);
    return {
      id,
      async unsubscribe() {
        listeners.delete(id);
        await wsRequest(unsubMethod, [id]);
      },
    };
  }

  return {
    url: base,
    request,
    methods: async () => (await request<{ methods: string[] }>("rpc_methods")).methods,
    info: () => request("node_v1_info"),
    chain: {
      head: () => request("chain_v1_head"),
      block: (ref) => request("chain_v1_block", [ref]),
      pov: (h) => request("chain_v1_pov", [h]),
      validatePov: (pov) => request("chain_v1_validatePov", [hex(pov)]),
      follow: (onEvent) => subscribe("chain_v1_follow", "chain_v1_unfollow", [], onEvent),
    },
    code: {
      upload: (program) => request("code_v1_upload", [hex(program)]),
    },
    actor: {
      create: (codeHash, args, balance) =>
        request("actor_v1_create", [codeHash, args === undefined ? "0x" : hex(args), balance?.toString()]),
      list: () => request("actor_v1_list"),
      state: (id) => request("actor_v1_state", [id]),
      call: (id, data) => request("actor_v1_call", [id, hex(data)]),
      callAndWait: (id, data, timeoutMs) =>
        request("actor_v1_call", [id, hex(data), { wait: true, timeoutMs }]),
      send: (id, data) => request("actor_v1_send", [id, hex(data)]),
      receipt: (callId, wait) =>
        request("actor_v1_receipt", wait ? [callId, { wait: true, timeoutMs: wait.timeoutMs }] : [callId]),
      query: (id, data) => request("actor_v1_query", [id, hex(data)]),
      logs: (id, opts) => request("actor_v1_logs", [id, opts ?? {}]),
      follow: (id, onEvent) => subscribe("actor_v1_follow", "actor_v1_unfollow", [id], onEvent),
    },
    tx: {
      submit: (signed) => request("tx_v1_submit", [hex(signed)]),
      status: (h) => request("tx_v1_status", [h]),
      prepare: (account) => request("tx_v1_prepare", [account]),
    },
    disk: {
      store: (data) => request("disk_v1_store", [hex(data)]),
      get: (h) => request("disk_v1_get", [h]),
      stats: () => request("disk_v1_stats"),
    },
    dev: {
      newBlock: (count) => request("dev_v1_newBlock", count === undefined ? [] : [{ count }]),
      snapshot: () => request("dev_v1_snapshot"),
      revert: (id) => request("dev_v1_revert", [id]),
      setBalance: (target, amount) => request("dev_v1_setBalance", [target, amount.toString()]),
      accounts: () => request("dev_v1_accounts"),
    },
    async close() {
      listeners.clear();
      if (ws) {
        const s = ws;
        ws = undefined;
        wsReady = undefined;
        await new Promise<void>((ok) => {
          s.once("close", () => ok());
          s.close();
        });
      }
    },
  };
}
