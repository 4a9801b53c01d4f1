/**
 * Issue 13 §1: random methods, params, paths, headers and WebSocket frames thrown at a live node (the
 * real node in this process, the real method table, over real sockets) never crash it, never get an
 * INTERNAL error for bad input, and after each case the node still answers a good request. Seeded
 * (FC_SEED overrides) and bounded in time.
 */
import { connect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeApi } from "../../src/node/api.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { createDashboardMethods } from "../../src/rpc/dashboard-methods.ts";
import { createMethods } from "../../src/rpc/methods.ts";
import { createRpcServer, type RpcServer } from "../../src/rpc/server.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { deployCounters } from "../node/programs.ts";
import { openRawWs } from "./raw-ws.ts";

const SEED = Number(process.env.FC_SEED ?? 20261203);
const TIME_LIMIT_MS = 15_000;
/** How long one fuzzed request may go unanswered (a wait, a long block): not a failure, the node lives on. */
const ANSWER_MS = 2_000;

let node: CoreplayNode;
let server: RpcServer;
let methods: string[];
const internal: string[] = [];

beforeAll(async () => {
  node = await createNode({ blockTime: "manual", validators: 1, engine: createWasmEngine() });
  await deployCounters(node, 1); // actor 0 exists, so actor methods reach their handlers
  const table = createMethods(createNodeApi(node), createDashboardMethods(node));
  methods = Object.keys(table);
  server = await createRpcServer({ port: 0, methods: table, maxRequestBytes: 1024 * 1024 });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await node?.stop();
}, 120_000);

/** Raw bytes to the port; resolves with what came back (possibly nothing) when closed or after ANSWER_MS. */
function rawSend(bytes: Buffer): Promise<string> {
  return new Promise((ok) => {
    const s = connect(server.port, "127.0.0.1", () => s.end(bytes));
    let got = "";
    s.on("data", (c: Buffer) => {
      got += c.toString("latin1");
    });
    s.on("error", () => {});
    s.setTimeout(ANSWER_MS, () => s.destroy());
    s.on("close", () => ok(got));
  });
}

/** Notes any INTERNAL error in what the node answered (bad input must get a typed error). */
function noteInternal(what: string, answer: string): void {
  if (answer.includes('"code":"INTERNAL"')) internal.push(`${what.slice(0, 300)} → ${answer.slice(0, 300)}`);
}

async function goodRequestAnswers(): Promise<boolean> {
  const res = await fetch(server.url, {
    method: "POST",
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "chain_v1_head", params: [] }),
    signal: AbortSignal.timeout(10_000),
  });
  const j = (await res.json()) as { result?: { number: number } };
  return typeof j.result?.number === "number";
}

// ---- arbitraries ----
const hex = fc.uint8Array({ maxLength: 40 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
const hash = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => `0x${Buffer.from(b).toString("hex")}`);
const options = fc.record(
  {
    wait: fc.boolean(),
    timeoutMs: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.constant(2 ** 31), fc.double()),
    count: fc.integer({ min: -1, max: 3 }),
    fromBlock: fc.oneof(fc.nat(10), fc.string()),
    limit: fc.oneof(fc.nat(10), fc.double()),
  },
  { requiredKeys: [] },
);
const param = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(fc.nat(5), hex, hash, options) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)) },
);
const rpcRequest = fc.record({
  method: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(...["rpc_methods", "x"]).chain(() => fc.constantFrom(...methods)),
    },
    { weight: 1, arbitrary: fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "toString")) },
  ),
  params: fc.oneof(
    { weight: 5, arbitrary: fc.array(param, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.jsonValue() },
  ),
  id: fc.oneof(fc.nat(), fc.string({ maxLength: 8 }), fc.constant(null), fc.jsonValue({ maxDepth: 1 })),
  jsonrpc: fc.oneof(
    { weight: 9, arbitrary: fc.constant("2.0") },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 0 }) },
  ),
});
/** The JSON text of a request, a batch, or a mangled one. */
const rpcText = fc.oneof(
  { weight: 6, arbitrary: rpcRequest.map((r) => JSON.stringify(r)) },
  {
    weight: 2,
    arbitrary: fc.array(rpcRequest, { minLength: 0, maxLength: 4 }).map((r) => JSON.stringify(r)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(rpcRequest, fc.nat(), fc.string({ maxLength: 3 })).map(([r, at, junk]) => {
      const s = JSON.stringify(r);
      const i = at % (s.length + 1);
      return s.slice(0, i) + junk + s.slice(i);
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    // deep params as text (a value this deep would overflow JSON.stringify here)
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...["x"]).chain(() => fc.constantFrom(...methods)),
        fc.constantFrom(10, 33, 1000, 100_000),
      )
      .map(
        ([m, d]) =>
          `{"jsonrpc":"2.0","id":1,"method":${JSON.stringify(m)},"params":[${"[".repeat(d)}${"]".repeat(d)}]}`,
      ),
  },
);
const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/);
const path = fc.oneof(
  fc.constantFrom("/", "/%", "/%E0%A4%A", "/%00", "/../../etc/passwd", "/index.html", "//", "/?a=%", "*"),
  fc.string({ maxLength: 40 }).map((s) => `/${s}`),
  fc
    .array(fc.constantFrom("%", "2", "F", "/", ".", "a", "%C0", "%FF", "?", "#"), { maxLength: 12 })
    .map((p) => `/${p.join("")}`),
);
const header = fc.oneof(
  fc.tuple(
    fc.constantFrom(
      "content-type",
      "content-length",
      "transfer-encoding",
      "upgrade",
      "connection",
      "host",
      "sec-websocket-key",
      "sec-websocket-version",
      "expect",
    ),
    fc.string({ maxLength: 30 }),
  ),
  fc.tuple(token, fc.string({ maxLength: 30 })),
  fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })), // names the parser refuses
);
const httpRequest = fc.record({
  verb: fc.oneof(fc.constantFrom("GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"), token),
  path,
  version: fc.constantFrom("HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/x"),
  headers: fc.array(header, { maxLength: 6 }),
  body: fc.oneof(
    rpcText,
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1")),
  ),
  declareLength: fc.oneof(fc.constant("right"), fc.constant("none"), fc.integer({ min: -1, max: 5000 })),
});
const wsFrame = fc.record({
  opcode: fc.oneof(
    { weight: 5, arbitrary: fc.constant(1) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 15 }) },
  ),
  payload: fc.oneof(
    rpcText,
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1")),
  ),
  fin: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  mask: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});
const fuzzCase = fc.oneof(
  fc.record({ kind: fc.constant("http-raw" as const), req: httpRequest }),
  fc.record({ kind: fc.constant("rpc-http" as const), body: rpcText }),
  fc.record({
    kind: fc.constant("rpc-ws" as const),
    bodies: fc.array(rpcText, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant("ws-frames" as const),
    frames: fc.array(wsFrame, { minLength: 1, maxLength: 4 }),
  }),
);

describe("fuzz: a live node under random requests", () => {
  it("answers a good request after every random request, path, header and frame", {
    timeout: 90_000,
  }, async () => {
    const seen = { "http-raw": 0, "rpc-http": 0, "rpc-ws": 0, "ws-frames": 0 };
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        seen[c.kind]++;
        if (c.kind === "http-raw") {
          const { verb, path: p, version, headers, body, declareLength } = c.req;
          const lines = [
            `${verb} ${p} ${version}`,
            "Host: 127.0.0.1",
            ...headers.map(([k, v]) => `${k}: ${v}`),
          ];
          const bytes = Buffer.from(body, "latin1");
          if (declareLength === "right") lines.push(`Content-Length: ${bytes.length}`);
          else if (typeof declareLength === "number") lines.push(`Content-Length: ${declareLength}`);
          noteInternal(
            body,
            await rawSend(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), bytes])),
          );
        } else if (c.kind === "rpc-http") {
          const res = await fetch(server.url, {
            method: "POST",
            body: c.body,
            signal: AbortSignal.timeout(ANSWER_MS),
          }).catch(() => undefined);
          const text = await res?.text().catch(() => "");
          noteInternal(c.body, text ?? "");
        } else {
          const ws = await openRawWs(server.port);
          let got = "";
          ws.socket.on("data", (d: Buffer) => {
            got += d.toString("latin1");
          });
          if (c.kind === "rpc-ws") for (const b of c.bodies) ws.frame(1, b);
          else for (const f of c.frames) ws.frame(f.opcode, Buffer.from(f.payload, "latin1"), f);
          await new Promise((ok) => setTimeout(ok, 50));
          ws.close();
          noteInternal(JSON.stringify(c), got);
        }
        expect(await goodRequestAnswers()).toBe(true);
      }),
      { seed: SEED, numRuns: 400, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    console.log(`fuzz: ${JSON.stringify(seen)} cases (seed ${SEED})`);
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
    expect(internal).toEqual([]);
    expect(await goodRequestAnswers()).toBe(true);
  });
});
