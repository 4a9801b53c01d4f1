/**
 * JSON-RPC 2.0 over WebSocket and HTTP POST on one port (DESIGN §3 `rpc`), plus static files for the
 * dashboard. Every bad request gets a JSON-RPC error object; nothing a client sends can crash the server.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import { type WebSocket, WebSocketServer } from "ws";
import { RPC_ERROR, RpcError, type RpcErrorObject, toRpcError } from "./errors.ts";
import { type Params, readParams } from "./params.ts";

export interface MethodContext {
  readonly transport: "ws" | "http";
  /**
   * Starts a subscription (WebSocket only): `start(emit)` begins emitting and returns its stop function.
   * Notifications go out as `{ method: notifyMethod, params: { subscription, result } }`.
   */
  subscribe(notifyMethod: string, start: (emit: (result: unknown) => void) => () => void): string;
  /** Ends a subscription of this connection; false if it does not exist. */
  unsubscribe(id: string): boolean;
}

export type Handler = (params: Params, ctx: MethodContext) => unknown;
export type MethodTable = Record<string, Handler>;

export interface RpcServerOptions {
  port?: number;
  host?: string;
  methods: MethodTable;
  /** Largest accepted request body / WebSocket message, in bytes (default 16 MiB). */
  maxRequestBytes?: number;
  /** Directory of static files served at `/` (the dashboard). */
  staticDir?: string;
  /**
   * Most bytes queued for one WebSocket client (default 16 MiB): a client that stops reading while its
   * subscriptions notify is disconnected once its queue passes this, so it holds at most this plus one
   * message of the node's memory.
   */
  maxBufferedBytes?: number;
  /** Most live subscriptions per WebSocket connection (default 1024, as Substrate's RPC). */
  maxSubscriptions?: number;
}

/** What the server holds at this moment (tests and the soak read it). */
export interface RpcServerStats {
  connections: number;
  subscriptions: number;
  /** Bytes queued for all WebSocket clients, not yet taken by the kernel. */
  bufferedBytes: number;
  /** Clients disconnected since start for reading too slowly. */
  slowClientsDropped: number;
}

export interface RpcServer {
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** Serve static files from `dir` at `/` (replaces any earlier directory). */
  serveStatic(dir: string | undefined): void;
  stats(): RpcServerStats;
  close(): Promise<void>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Response = { jsonrpc: "2.0"; id: Json; result?: unknown; error?: RpcErrorObject };

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
  ".ico": "image/x-icon",
};

const errorResponse = (id: Json, error: RpcErrorObject): Response => ({ jsonrpc: "2.0", id, error });

const tooLarge = (size: number, max: number): RpcErrorObject =>
  new RpcError(RPC_ERROR.TooLarge, "Request too large", {
    code: "REQUEST_TOO_LARGE",
    details: `${size} bytes, the limit is ${max}`,
    hint: "split the batch, or store big data with disk_v1_store first",
  }).toJSON();

const validId = (id: unknown): id is Json =>
  id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));

/**
 * Starts the server. Resolves once it listens (port 0 picks a free port).
 *
 * @example
 * const server = await createRpcServer({ port: 9944, methods: { rpc_methods: () => ({ methods: [] }) } });
 * console.log(server.url); // http://127.0.0.1:9944
 */
export async function createRpcServer(opts: RpcServerOptions): Promise<RpcServer> {
  const maxBytes = opts.maxRequestBytes ?? 16 * 1024 * 1024;
  const host = opts.host ?? "127.0.0.1";
  const maxBuffered = opts.maxBufferedBytes ?? 16 * 1024 * 1024;
  const maxSubs = opts.maxSubscriptions ?? 1024;
  let staticDir = opts.staticDir;
  let nextSub = 1;
  let slowClientsDropped = 0;
  const liveSubs = new Map<WebSocket, Map<string, () => void>>();

  async function handleOne(req: unknown, ctx: MethodContext): Promise<Response | undefined> {
    if (typeof req !== "object" || req === null || Array.isArray(req)) {
      return errorResponse(null, invalidRequest("a request must be a JSON object"));
    }
    const r = req as Record<string, unknown>;
    const isNotification = !("id" in r);
    const id: Json = validId(r.id) ? r.id : null;
    if (r.jsonrpc !== "2.0") return errorResponse(id, invalidRequest('"jsonrpc" must be "2.0"'));
    if (!isNotification && !validId(r.id))
      return errorResponse(null, invalidRequest('"id" must be a string, number or null'));
    if (typeof r.method !== "string") return errorResponse(id, invalidRequest('"method" must be a string'));
    const handler = Object.hasOwn(opts.methods, r.method) ? opts.methods[r.method] : undefined;
    let out: Response;
    if (!handler) {
      out = errorResponse(
        id,
        new RpcError(RPC_ERROR.MethodNotFound, "Method not found", {
          code: "METHOD_NOT_FOUND",
          details: `no method ${JSON.stringify(r.method)}`,
          hint: "call rpc_methods for the list; names look like chain_v1_head",
        }).toJSON(),
      );
    } else {
      try {
        const result = await handler(readParams(r.params), ctx);
        out = { jsonrpc: "2.0", id, result: result === undefined ? null : result };
      } catch (e) {
        out = errorResponse(id, toRpcError(e));
      }
    }
    return isNotification ? undefined : out;
  }

  async function handlePayload(text: string, ctx: MethodContext): Promise<unknown> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return errorResponse(
        null,
        new RpcError(RPC_ERROR.ParseError, "Parse error", {
          code: "PARSE_ERROR",
          details: (e as Error).message,
          hint: "send one JSON-RPC 2.0 request object, or an array of them",
        }).toJSON(),
      );
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0) return errorResponse(null, invalidRequest("an empty batch"));
      const out = (await Promise.all(parsed.map((r) => handleOne(r, ctx)))).filter((r) => r !== undefined);
      return out.length === 0 ? undefined : out;
    }
    return handleOne(parsed, ctx);
  }

  const httpCtx: MethodContext = {
    transport: "http",
    subscribe() {
      throw new RpcError(RPC_ERROR.NeedsWebSocket, "Subscriptions need a WebSocket", {
        code: "NEEDS_WEBSOCKET",
        hint: "connect with ws://host:port and call the method again",
      });
    },
    unsubscribe: () => false,
  };

  const http = createServer((req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Allow-Headers", "content-type");
    if (req.method === "OPTIONS") {
      res.writeHead(204).end();
      return;
    }
    try {
      if (req.method === "POST") return void onPost(req, res).catch(() => failed(res));
      if (req.method === "GET" || req.method === "HEAD") return onGet(req, res);
      res.writeHead(405, { Allow: "GET, POST, OPTIONS" }).end();
    } catch {
      failed(res); // not reachable through any request we know of; still an answer, never a crash
    }
  });
  // A request Node's parser refuses (bad headers, bad method): 400 and close, never an exception.
  http.on("clientError", (_e, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  function failed(res: ServerResponse): void {
    if (res.headersSent) res.destroy();
    else res.writeHead(500, { "Content-Type": "text/plain" }).end("internal error\n");
  }

  function sendJson(res: ServerResponse, body: unknown, status = 200): void {
    if (body === undefined) {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
  }

  async function onPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > maxBytes) {
      sendJson(res, errorResponse(null, tooLarge(declared, maxBytes)), 413);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) over = true;
      else chunks.push(c);
    });
    req.on("error", () => res.destroy());
    req.on("end", async () => {
      if (over) return sendJson(res, errorResponse(null, tooLarge(size, maxBytes)), 413);
      try {
        sendJson(res, await handlePayload(Buffer.concat(chunks).toString("utf8"), httpCtx));
      } catch (e) {
        sendJson(res, errorResponse(null, toRpcError(e)), 500);
      }
    });
  }

  function onGet(req: IncomingMessage, res: ServerResponse): void {
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/");
    } catch {
      // `GET /%` once threw URIError out of this handler and killed the node.
      res.writeHead(400, { "Content-Type": "text/plain" }).end("malformed percent-encoding in the path\n");
      return;
    }
    if (path.includes("\0")) {
      res.writeHead(400, { "Content-Type": "text/plain" }).end("NUL in the path\n");
      return;
    }
    if (staticDir && existsSync(staticDir)) {
      const root = resolve(staticDir);
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end();
        return;
      }
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
      // Single-page app: unknown paths without an extension get index.html.
      if (!existsSync(file) && extname(path) === "") file = join(root, "index.html");
      if (existsSync(file) && statSync(file).isFile()) {
        res.writeHead(200, { "Content-Type": MIME[extname(file)] ?? "application/octet-stream" });
        if (req.method === "HEAD") res.end();
        else
          createReadStream(file)
            .on("error", () => res.destroy())
            .pipe(res);
        return;
      }
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      return;
    }
    res
      .writeHead(200, { "Content-Type": "text/plain; charset=utf-8" })
      .end("Coreplay node. JSON-RPC 2.0: POST here, or connect a WebSocket. Try rpc_methods.\n");
  }

  const wss = new WebSocketServer({ server: http, maxPayload: maxBytes * 4 });
  wss.on("connection", (ws: WebSocket) => {
    const subs = new Map<string, () => void>();
    liveSubs.set(ws, subs);
    /**
     * Sends unless the client is too slow: a client whose queue is already over the bound is cut off (as
     * Substrate's RPC drops a subscriber it cannot keep up with); its queue is freed at once. One answer
     * larger than the bound (a big PoV) still goes to a client that reads.
     */
    const send = (text: string): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > maxBuffered) {
        slowClientsDropped++;
        ws.terminate();
        return;
      }
      ws.send(text);
    };
    const ctx: MethodContext = {
      transport: "ws",
      subscribe(notifyMethod, start) {
        if (subs.size >= maxSubs) {
          throw new RpcError(RPC_ERROR.Limit, "Too many subscriptions", {
            code: "TOO_MANY_SUBSCRIPTIONS",
            details: `this connection has ${subs.size} live subscriptions, the limit is ${maxSubs}`,
            hint: "unsubscribe from ones you no longer read, or open another connection",
          });
        }
        const id = String(nextSub++);
        let live = true;
        const stop = start((result) => {
          if (live) {
            send(
              JSON.stringify({ jsonrpc: "2.0", method: notifyMethod, params: { subscription: id, result } }),
            );
          }
        });
        subs.set(id, () => {
          live = false;
          stop();
        });
        return id;
      },
      unsubscribe(id) {
        const stop = subs.get(id);
        if (!stop) return false;
        subs.delete(id);
        stop();
        return true;
      },
    };
    ws.on("message", async (data: Buffer, isBinary: boolean) => {
      let reply: unknown;
      if (data.length > maxBytes) reply = errorResponse(null, tooLarge(data.length, maxBytes));
      else if (isBinary)
        reply = errorResponse(null, invalidRequest("binary frames are not JSON-RPC; send text"));
      else {
        try {
          reply = await handlePayload(data.toString("utf8"), ctx);
        } catch (e) {
          reply = errorResponse(null, toRpcError(e));
        }
      }
      if (reply !== undefined) send(JSON.stringify(reply));
    });
    ws.on("error", () => {});
    ws.on("close", () => {
      for (const stop of subs.values()) stop();
      subs.clear();
      liveSubs.delete(ws);
    });
  });
  wss.on("error", () => {});

  await new Promise<void>((ok, fail) => {
    http.once("error", fail);
    http.listen(opts.port ?? 9944, host, () => {
      http.off("error", fail);
      ok();
    });
  });
  const port = (http.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}`,
    serveStatic(dir) {
      staticDir = dir;
    },
    stats() {
      let subscriptions = 0;
      let bufferedBytes = 0;
      for (const [ws, subs] of liveSubs) {
        subscriptions += subs.size;
        bufferedBytes += ws.bufferedAmount;
      }
      return { connections: liveSubs.size, subscriptions, bufferedBytes, slowClientsDropped };
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((ok) => wss.close(() => ok()));
      http.closeAllConnections();
      await new Promise<void>((ok) => http.close(() => ok()));
    },
  };
}

function invalidRequest(details: string): RpcErrorObject {
  return new RpcError(RPC_ERROR.InvalidRequest, "Invalid request", {
    code: "INVALID_REQUEST",
    details,
    hint: 'send {"jsonrpc":"2.0","id":1,"method":"rpc_methods","params":[]}',
  }).toJSON();
}
