import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createClient, NodeUnreachableError } from "../../src/rpc/client.ts";
import { RPC_ERROR, RpcError } from "../../src/rpc/errors.ts";
import { createMethods } from "../../src/rpc/methods.ts";
import { createRpcServer, type RpcServer } from "../../src/rpc/server.ts";
import { createFakeApi } from "./fake-api.ts";

const MAX = 4096;
let server: RpcServer;
const api = createFakeApi();
let staticDir: string;

beforeAll(async () => {
  staticDir = mkdtempSync(join(tmpdir(), "cp-static-"));
  mkdirSync(join(staticDir, "assets"));
  writeFileSync(join(staticDir, "index.html"), "<h1>dash</h1>");
  writeFileSync(join(staticDir, "assets", "app.js"), "console.log(1)");
  server = await createRpcServer({ port: 0, methods: createMethods(api), maxRequestBytes: MAX });
});
afterAll(async () => {
  await server.close();
});

async function post(body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(server.url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}
const call = (method: string, params?: unknown, id: unknown = 1) =>
  post(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
type Err = {
  error: { code: number; message: string; data: { code: string; details?: string } };
  id: unknown;
};

function wsOpen(): Promise<WebSocket> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(server.url.replace("http", "ws"));
    ws.once("open", () => ok(ws));
    ws.once("error", fail);
  });
}
function wsNext(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((ok) => ws.once("message", (d: Buffer) => ok(JSON.parse(d.toString()))));
}

describe("rpc server: JSON-RPC 2.0 error paths", () => {
  it("answers a parse error with -32700 and id null", async () => {
    const { json } = await post("{not json");
    expect((json as Err).error.code).toBe(RPC_ERROR.ParseError);
    expect((json as Err).error.data.code).toBe("PARSE_ERROR");
    expect((json as Err).id).toBeNull();
  });

  it.each([
    ["a number", "42"],
    ["no jsonrpc field", JSON.stringify({ id: 1, method: "rpc_methods" })],
    ["jsonrpc 1.0", JSON.stringify({ jsonrpc: "1.0", id: 1, method: "rpc_methods" })],
    ["method not a string", JSON.stringify({ jsonrpc: "2.0", id: 1, method: 5 })],
    ["id an object", JSON.stringify({ jsonrpc: "2.0", id: { a: 1 }, method: "rpc_methods" })],
    ["an empty batch", "[]"],
  ])("answers an invalid request (%s) with -32600", async (_, body) => {
    const { json } = await post(body);
    expect((json as Err).error.code).toBe(RPC_ERROR.InvalidRequest);
    expect((json as Err).error.data.code).toBe("INVALID_REQUEST");
  });

  it("answers an unknown method with -32601, and does not treat prototype keys as methods", async () => {
    for (const m of ["nope_v1_nothing", "toString", "__proto__"]) {
      const { json } = await call(m);
      expect((json as Err).error.code).toBe(RPC_ERROR.MethodNotFound);
    }
  });

  it.each([
    ["params not an array", "chain_v1_block", { n: 1 }],
    ["missing param", "actor_v1_state", []],
    ["negative actor id", "actor_v1_state", [-1]],
    ["actor id above u32", "actor_v1_state", [2 ** 32]],
    ["non-hex bytes", "code_v1_upload", ["0xzz"]],
    ["odd hex", "code_v1_upload", ["0x123"]],
    ["hex without 0x", "code_v1_upload", ["00"]],
    ["short hash", "actor_v1_create", ["0x1234"]],
    ["amount as a float", "dev_v1_setBalance", [0, 1.5]],
    ["amount above u128", "dev_v1_setBalance", ["0x" + "11".repeat(32), (1n << 128n).toString()]],
    ["too many params", "chain_v1_head", [1]],
    ["bad newBlock count", "dev_v1_newBlock", [{ count: 0 }]],
    ["options not an object", "actor_v1_logs", [0, 5]],
  ])("answers bad params (%s) with -32602 and details", async (_, method, params) => {
    if (method !== "actor_v1_create")
      await api.createActor({ codeHash: `0x${"00".repeat(32)}`, args: new Uint8Array() });
    const { json } = await call(method, params);
    expect((json as Err).error.code).toBe(RPC_ERROR.InvalidParams);
    expect((json as Err).error.data.code).toBe("INVALID_PARAMS");
    expect((json as Err).error.data.details).toBeTruthy();
  });

  it("answers an unknown actor with -32001 on every actor method", async () => {
    for (const [m, params] of [
      ["actor_v1_state", [999]],
      ["actor_v1_call", [999, "0x"]],
      ["actor_v1_query", [999, "0x"]],
      ["actor_v1_logs", [999]],
      ["dev_v1_setBalance", [999, "1"]],
    ] as const) {
      const { json } = await call(m, params);
      expect((json as Err).error.code, m).toBe(RPC_ERROR.UnknownActor);
      expect((json as Err).error.data.code).toBe("UNKNOWN_ACTOR");
    }
  });

  it("answers an unknown block with -32002", async () => {
    const { json } = await call("chain_v1_block", [12345]);
    expect((json as Err).error.code).toBe(RPC_ERROR.UnknownBlock);
  });

  it("answers an oversized HTTP body with -32000 and status 413", async () => {
    const { status, json } = await call("code_v1_upload", [`0x${"00".repeat(MAX)}`]);
    expect(status).toBe(413);
    expect((json as Err).error.code).toBe(RPC_ERROR.TooLarge);
    // and the server still works afterwards
    expect(
      ((await call("chain_v1_head")).json as { result: { number: number } }).result.number,
    ).toBeGreaterThanOrEqual(0);
  });

  it("answers an oversized WebSocket message with -32000 and keeps the socket", async () => {
    const ws = await wsOpen();
    ws.send(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "code_v1_upload", params: [`0x${"00".repeat(MAX)}`] }),
    );
    expect(((await wsNext(ws)) as unknown as Err).error.code).toBe(RPC_ERROR.TooLarge);
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "chain_v1_head" }));
    expect((await wsNext(ws)).id).toBe(2);
    ws.close();
  });

  it("maps a handler's typed error to its JSON-RPC code", async () => {
    const { json } = await call("code_v1_upload", ["0x01"]);
    expect((json as Err).error.code).toBe(RPC_ERROR.BadProgram);
    const r = await call("dev_v1_revert", ["nope"]);
    expect((r.json as Err).error.data.code).toBe("UNKNOWN_SNAPSHOT");
  });

  it("refuses subscriptions over HTTP with -32004", async () => {
    const { json } = await call("chain_v1_follow", []);
    expect((json as Err).error.code).toBe(RPC_ERROR.NeedsWebSocket);
  });

  it("answers unfollow of an unknown subscription with -32005", async () => {
    const ws = await wsOpen();
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "chain_v1_unfollow", params: ["77"] }));
    expect(((await wsNext(ws)) as unknown as Err).error.code).toBe(RPC_ERROR.UnknownSubscription);
    ws.close();
  });

  it("rejects binary WebSocket frames with -32600", async () => {
    const ws = await wsOpen();
    ws.send(Buffer.from([1, 2, 3]));
    expect(((await wsNext(ws)) as unknown as Err).error.code).toBe(RPC_ERROR.InvalidRequest);
    ws.close();
  });
});

describe("rpc server: batches, notifications, subscriptions, static files", () => {
  it("answers a batch in order, with errors per item, and skips notifications", async () => {
    const { json } = await post(
      JSON.stringify([
        { jsonrpc: "2.0", id: "a", method: "chain_v1_head" },
        { jsonrpc: "2.0", method: "chain_v1_head" },
        { jsonrpc: "2.0", id: "b", method: "nope" },
        7,
        { jsonrpc: "2.0", id: "c", method: "actor_v1_query", params: [0, "0xbeef"] },
      ]),
    );
    const arr = json as Array<{ id: unknown; result?: unknown; error?: { code: number } }>;
    expect(arr.map((r) => r.id)).toEqual(["a", "b", null, "c"]);
    expect(arr[1]!.error!.code).toBe(RPC_ERROR.MethodNotFound);
    expect(arr[2]!.error!.code).toBe(RPC_ERROR.InvalidRequest);
    expect(arr[3]!.result).toEqual({ ok: true, output: "0xbeef" });
  });

  it("sends nothing back for a lone notification (HTTP 204)", async () => {
    const { status, json } = await post(JSON.stringify({ jsonrpc: "2.0", method: "chain_v1_head" }));
    expect(status).toBe(204);
    expect(json).toBeUndefined();
  });

  it("streams chain_v1_follow events over WebSocket until unfollowed", async () => {
    const client = createClient(server.url);
    const seen: number[] = [];
    const sub = await client.chain.follow((e) => {
      if (e.event === "newBlock") seen.push(e.block.number);
    });
    const before = (await client.chain.head()).number;
    await client.dev.newBlock(2);
    await new Promise((ok) => setTimeout(ok, 50));
    expect(seen).toEqual([before + 1, before + 2]);
    await sub.unsubscribe();
    await client.dev.newBlock(1);
    await new Promise((ok) => setTimeout(ok, 50));
    expect(seen).toHaveLength(2);
    await client.close();
  });

  it("filters actor_v1_follow events to the followed actor", async () => {
    const client = createClient(server.url);
    const { actor } = await client.actor.create(`0x${"00".repeat(32)}`);
    const got: unknown[] = [];
    await client.actor.follow(actor, (e) => got.push(e));
    api.emit({ event: "log", log: { actor: actor + 1000, block: 1, line: "other" } });
    api.emit({ event: "log", log: { actor, block: 1, line: "mine" } });
    await new Promise((ok) => setTimeout(ok, 50));
    expect(got).toEqual([{ event: "log", log: { actor, block: 1, line: "mine" } }]);
    await client.close();
  });

  it("lists every method in rpc_methods, in group_v1_method form", async () => {
    const methods = await createClient(server.url).methods();
    expect(methods).toContain("actor_v1_call");
    expect(methods).toContain("dev_v1_accounts");
    for (const m of methods) if (m !== "rpc_methods") expect(m).toMatch(/^[a-z]+_v1_[a-zA-Z]+$/);
  });

  it("rpc_methods also lists the methods passed in as extra (the dashboard's)", async () => {
    const extra = await createRpcServer({
      port: 0,
      methods: createMethods(api, { dashboard_v1_overview: () => ({ ok: true }) }),
    });
    try {
      const client = createClient(extra.url);
      expect(await client.methods()).toContain("dashboard_v1_overview");
      expect(await client.methods()).toContain("actor_v1_call");
      await client.close();
    } finally {
      await extra.close();
    }
  });

  it("serves static files once a directory is set, and blocks path traversal", async () => {
    expect(await (await fetch(server.url)).text()).toContain("JSON-RPC");
    server.serveStatic(staticDir);
    expect(await (await fetch(server.url)).text()).toBe("<h1>dash</h1>");
    const js = await fetch(`${server.url}/assets/app.js`);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(await (await fetch(`${server.url}/actors/3`)).text()).toBe("<h1>dash</h1>");
    expect((await fetch(`${server.url}/..%2F..%2F..%2Fetc%2Fpasswd`)).status).toBe(403);
    expect((await fetch(`${server.url}/missing.js`)).status).toBe(404);
    server.serveStatic(undefined);
  });
});

describe("rpc client", () => {
  it("throws a typed RpcError carrying code and data", async () => {
    const client = createClient(server.url);
    const e = await client.actor.state(4242).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RpcError);
    expect((e as RpcError).rpcCode).toBe(RPC_ERROR.UnknownActor);
    expect((e as RpcError).hint).toContain("coreplay deploy");
  });

  it("says how to start a node when nothing listens", async () => {
    const e = await createClient("http://127.0.0.1:1")
      .chain.head()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NodeUnreachableError);
    expect((e as Error).message).toContain("npx coreplay dev");
  });

  it("round-trips amounts as decimal strings", async () => {
    const client = createClient(server.url);
    const big = (1n << 127n) + 5n;
    expect((await client.dev.setBalance(0, big)).balance).toBe(big.toString());
  });
});
