/**
 * Issue 13 §1: no request path, header or body can crash the server or make it answer INTERNAL for bad
 * input, and a WebSocket client cannot grow the server's memory by subscribing and not reading.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/codec/bytes.ts";
import { RPC_ERROR } from "../../src/rpc/errors.ts";
import { createMethods } from "../../src/rpc/methods.ts";
import { createRpcServer, type RpcServer } from "../../src/rpc/server.ts";
import type { BlockJson } from "../../src/rpc/types.ts";
import { createFakeApi } from "./fake-api.ts";
import { openRawWs } from "./raw-ws.ts";

type Answer = { result?: unknown; error?: { code: number; data: { code: string; details?: string } } };

let server: RpcServer;
const api = createFakeApi();

beforeAll(async () => {
  server = await createRpcServer({
    port: 0,
    methods: createMethods(api),
    maxBufferedBytes: 1024 * 1024,
    maxSubscriptions: 4,
  });
});
afterAll(async () => {
  await server.close();
});

async function post(body: string): Promise<Answer> {
  const res = await fetch(server.url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  return (await res.json()) as Answer;
}
const call = (method: string, params?: unknown) =>
  post(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));

/** Sends `request` bytes as they are and resolves with the status line of the answer (or "" if closed). */
function rawHttp(request: string): Promise<string> {
  return new Promise((ok) => {
    const s = connect(server.port, "127.0.0.1", () => s.write(request));
    let got = "";
    s.on("data", (c: Buffer) => {
      got += c.toString("latin1");
      if (got.includes("\r\n")) s.destroy();
    });
    s.on("error", () => {});
    s.setTimeout(5000, () => s.destroy()); // no answer is a failure, not a hang
    s.on("close", () => ok(got.split("\r\n")[0] ?? ""));
  });
}

const alive = async () => expect((await call("rpc_methods")).result).toBeTruthy();

describe("requests that once killed the node or answered INTERNAL", () => {
  it.each([
    ["GET /% (URIError from decodeURIComponent)", "GET /% HTTP/1.1\r\nHost: x\r\n\r\n", "400"],
    ["GET /%E0%A4%A", "GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n", "400"],
    ["a NUL in the path", "GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n", "400"],
    ["a header Node's parser refuses", "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "400"],
    ["an unknown method", "BREW / HTTP/1.1\r\nHost: x\r\n\r\n", "4"],
  ])("answers %s with an error status and keeps serving", async (_, req, status) => {
    expect(await rawHttp(req)).toMatch(new RegExp(`^HTTP/1\\.1 ${status}`));
    await alive();
  });

  it("answers GET /% with 400 when it serves static files too", async () => {
    server.serveStatic(process.cwd());
    try {
      expect(await rawHttp("GET /% HTTP/1.1\r\nHost: x\r\n\r\n")).toMatch(/^HTTP\/1\.1 400/);
    } finally {
      server.serveStatic(undefined);
    }
    await alive();
  });

  it("checks a 10 MB hex param in linear time: INVALID_PARAMS when bad, accepted when good", async () => {
    // 5·10^6 bytes: the regex /^0x([0-9a-fA-F]{2})*$/ overflowed V8's stack here (INTERNAL)
    const digits = "ab".repeat(5_000_000);
    const bad = await call("code_v1_upload", [`0x${digits}zz`]);
    expect(bad.error?.code).toBe(RPC_ERROR.InvalidParams);
    expect(bad.error?.data.details).toMatch(/param 0 \(program\) must be 0x-prefixed hex bytes/);
    const good = await call("code_v1_upload", [`0x00${digits}`]); // the fake takes a blob starting 0x00
    expect(good.error).toBeUndefined();
  });

  it.each([
    ["10^5-deep arrays", "actor_v1_state", (inner: string) => [JSON.parse(inner)]],
    [
      "10^5-deep arrays in options",
      "actor_v1_logs",
      (inner: string) => [0, { fromBlock: JSON.parse(inner) }],
    ],
  ])("refuses %s as INVALID_PARAMS", async (_, method, params) => {
    const depth = 100_000;
    const inner = "[".repeat(depth) + "]".repeat(depth);
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: "PARAMS" }).replace(
      '"PARAMS"',
      JSON.stringify(params("[]")).replace("[]", inner),
    );
    const r = await post(body);
    expect(r.error?.code).toBe(RPC_ERROR.InvalidParams);
    expect(r.error?.data.details).toMatch(/nested more than 32 levels/);
  });

  it.each([
    [2 ** 31, "2^31 ms (Node fired such a timer at once)"],
    [1e300, "1e300"],
    [0.5, "a fraction"],
    [-1, "negative"],
  ])("refuses timeoutMs %s (%s) with INVALID_PARAMS", async (timeoutMs) => {
    const r = await call("actor_v1_receipt", [`0x${"11".repeat(32)}`, { wait: true, timeoutMs }]);
    expect(r.error?.code).toBe(RPC_ERROR.InvalidParams);
    expect(r.error?.data.details).toMatch(/timeoutMs must be an integer in 1\.\.=2147483647/);
  });
});

describe("WebSocket resources per connection", () => {
  it("caps subscriptions per connection with TOO_MANY_SUBSCRIPTIONS, and frees a slot on unsubscribe", async () => {
    const { default: WebSocket } = await import("ws");
    const ws = new WebSocket(server.url.replace("http", "ws"));
    await new Promise((ok) => ws.once("open", ok));
    const answers: Answer[] = [];
    ws.on("message", (d: Buffer) => {
      const m = JSON.parse(d.toString()) as Answer & { id?: number };
      if (m.id !== undefined) answers.push(m);
    });
    const req = async (method: string, params: unknown[]): Promise<Answer> => {
      const n = answers.length;
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: n + 1, method, params }));
      while (answers.length === n) await new Promise((ok) => setTimeout(ok, 5));
      return answers[n]!;
    };
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await req("chain_v1_follow", [])).result as string);
    const over = await req("chain_v1_follow", []);
    expect(over.error?.code).toBe(RPC_ERROR.Limit);
    expect(over.error?.data.code).toBe("TOO_MANY_SUBSCRIPTIONS");
    expect(server.stats().subscriptions).toBe(4);
    expect((await req("chain_v1_unfollow", [ids[0]])).result).toBe(true);
    expect((await req("chain_v1_follow", [])).result).toBeTypeOf("string");
    ws.close();
  });

  it("still sends one notification larger than the bound to a client that reads", async () => {
    const { default: WebSocket } = await import("ws");
    const ws = new WebSocket(server.url.replace("http", "ws"));
    await new Promise((ok) => ws.once("open", ok));
    const got: string[] = [];
    ws.on("message", (d: Buffer) => got.push(d.toString()));
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "chain_v1_follow", params: [] }));
    while (got.length === 0) await new Promise((ok) => setTimeout(ok, 5));
    const dropped = server.stats().slowClientsDropped;
    const parentHash = `0x${"cd".repeat(1_500_000)}` as `0x${string}`; // a 3 MB notification, bound 1 MiB
    api.emit({ event: "newBlock", block: { ...api.head(), parentHash } });
    while (got.length === 1) await new Promise((ok) => setTimeout(ok, 5));
    expect(got[1]).toContain(parentHash);
    expect(server.stats().slowClientsDropped).toBe(dropped);
    ws.close();
  });

  it("disconnects a client that subscribes and stops reading: the server's buffer stays bounded", {
    timeout: 20_000,
  }, async () => {
    const slow = await openRawWs(server.port);
    for (let i = 0; i < 4; i++) slow.request("chain_v1_follow", []);
    while (server.stats().subscriptions < 4) await new Promise((ok) => setTimeout(ok, 5));
    slow.stopReading();
    const closed = new Promise((ok) => slow.socket.once("close", ok));
    // 64 KB blocks, 4 subscriptions each: 2,000 blocks would queue ~500 MB for this one client.
    const big: BlockJson = {
      ...api.head(),
      povs: [],
      dropped: [],
      hash: toHex(new Uint8Array(32)),
      parentHash: `0x${"ab".repeat(32_000)}` as `0x${string}`,
    };
    let peak = 0;
    for (let i = 0; i < 2000; i++) {
      api.emit({ event: "newBlock", block: { ...big, number: i } });
      peak = Math.max(peak, server.stats().bufferedBytes);
      if (i % 50 === 0) await new Promise((ok) => setImmediate(ok));
    }
    expect(server.stats().slowClientsDropped).toBe(1);
    slow.socket.resume(); // reads what the kernel holds, then the server's close
    await closed;
    // the bound is 1 MiB; one more notification (~64 KB) may be on its way when the bound is checked
    expect(peak).toBeLessThanOrEqual(1024 * 1024 + 70_000);
    expect(server.stats().bufferedBytes).toBe(0);
    await alive();
  });
});
