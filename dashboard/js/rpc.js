/**
 * JSON-RPC 2.0 over one WebSocket (docs/rpc.md), reconnecting with backoff when the node restarts.
 * Subscriptions are remembered and re-made after every reconnect.
 *
 * @example
 * const rpc = createRpc("ws://127.0.0.1:9944", { onStatus: (s) => console.log(s) });
 * const head = await rpc.call("chain_v1_head");
 * rpc.subscribe("chain_v1_follow", [], (ev) => console.log(ev.event));
 */

/** An RPC error answer, with the node's stable `code` and `hint`. */
export class RpcCallError extends Error {
  constructor(method, error) {
    const data = error?.data ?? {};
    super(`${method}: ${error?.message ?? "failed"}${data.details ? ` (${data.details})` : ""}`);
    this.name = "RpcCallError";
    this.code = data.code ?? "UNKNOWN";
    this.hint = data.hint;
  }
}

/**
 * @param {string} url ws:// address of the node
 * @param {{ onStatus?: (s: "connecting"|"open"|"closed") => void, onOpen?: () => void }} [opts]
 */
export function createRpc(url, opts = {}) {
  let ws;
  let nextId = 1;
  let backoff = 250;
  let closedByUser = false;
  const pending = new Map();
  /** id → handler of live subscriptions on the current socket. */
  const live = new Map();
  /** Every subscription asked for, re-made on reconnect. */
  const wanted = [];
  const waitingOpen = [];

  const status = (s) => opts.onStatus?.(s);

  function connect() {
    status("connecting");
    ws = new WebSocket(url);
    ws.onopen = () => {
      backoff = 250;
      status("open");
      for (const w of waitingOpen.splice(0)) w();
      live.clear();
      for (const s of wanted) void resubscribe(s);
      opts.onOpen?.();
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      for (const m of Array.isArray(msg) ? msg : [msg]) onMessage(m);
    };
    ws.onclose = () => {
      for (const [, p] of pending) p.reject(new RpcCallError(p.method, { message: "connection lost" }));
      pending.clear();
      live.clear();
      status("closed");
      if (closedByUser) return;
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 4000);
    };
    ws.onerror = () => {};
  }

  function onMessage(m) {
    if (m.method && m.params?.subscription !== undefined) {
      live.get(String(m.params.subscription))?.(m.params.result);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new RpcCallError(p.method, m.error));
    else p.resolve(m.result);
  }

  async function resubscribe(s) {
    try {
      const id = await call(s.method, s.params);
      live.set(String(id), s.handler);
    } catch {
      // the socket dropped again; the next open retries
    }
  }

  function opened() {
    if (ws && ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((ok) => waitingOpen.push(ok));
  }

  /** Calls `method`; waits for the connection if it is down. Rejects with {@link RpcCallError}. */
  async function call(method, params = []) {
    await opened();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, method });
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  /** Subscribes now and after every reconnect; `handler` gets each notification's `result`. */
  function subscribe(method, params, handler) {
    const s = { method, params, handler };
    wanted.push(s);
    if (ws && ws.readyState === WebSocket.OPEN) void resubscribe(s);
  }

  connect();
  return {
    call,
    subscribe,
    close() {
      closedByUser = true;
      ws?.close();
    },
  };
}
