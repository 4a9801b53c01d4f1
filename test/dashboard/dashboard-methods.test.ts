/**
 * The dashboard's read-only RPC methods (src/rpc/dashboard-methods.ts) against a real in-process node:
 * memory pages, waiting postcards with their sender, recent calls with their replies, and typed errors.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/codec/bytes.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { createNodeApi } from "../../src/node/api.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import {
  createDashboardMethods,
  type DashboardActorDetailJson,
  type DashboardOverviewJson,
} from "../../src/rpc/dashboard-methods.ts";
import { RpcError } from "../../src/rpc/errors.ts";
import { readParams } from "../../src/rpc/params.ts";
import type { MethodContext, MethodTable } from "../../src/rpc/server.ts";
import type { NodeApi } from "../../src/rpc/types.ts";
import { echoProgram } from "./echo-program.ts";

const ctx: MethodContext = { transport: "http", subscribe: () => "0", unsubscribe: () => false };
const hex = (s: string) => `0x${Buffer.from(s).toString("hex")}`;

let node: CoreplayNode;
let api: NodeApi;
let methods: MethodTable;
let echo: number;
const call = (m: string, params: unknown) => methods[m]!(readParams(params), ctx);

beforeAll(async () => {
  node = await createNode({ blockTime: "instant", validators: 1, cores: 2, collators: 2 });
  api = createNodeApi(node);
  methods = createDashboardMethods(node);
  const { codeHash } = await api.uploadCode(echoProgram());
  echo = (await api.createActor({ codeHash, args: new Uint8Array() })).actor;
}, 600_000);

afterAll(async () => {
  await node?.stop();
}, 60_000);

describe("dashboard_v1_actor", { timeout: 300_000 }, () => {
  it("lists the actor's canonicalised calls with their replies, newest first", async () => {
    for (const word of ["one", "two"]) {
      const { callId } = await api.submitCall(echo, Buffer.from(word));
      expect((await api.waitReceipt(callId, 120_000)).ok).toBe(true);
    }
    const d = (await call("dashboard_v1_actor", [echo])) as DashboardActorDetailJson;
    expect(d.id).toBe(echo);
    expect(d.pages).toBe(1);
    expect(d.calls.slice(0, 2).map((c) => [c.input, c.ok, c.output])).toEqual([
      [hex("two"), true, hex("two")],
      [hex("one"), true, hex("one")],
    ]);
    expect(d.calls[0]!.block).toBeGreaterThan(d.calls[1]!.block);
    expect(d.queued).toEqual([]);
  });

  it("refuses an unknown actor and bad params with typed errors", () => {
    const unknown = (() => {
      try {
        call("dashboard_v1_actor", [4242]);
      } catch (e) {
        return e;
      }
    })() as RpcError;
    expect(unknown).toBeInstanceOf(RpcError);
    expect(unknown.code).toBe("UNKNOWN_ACTOR");
    expect(() => call("dashboard_v1_actor", ["x"])).toThrow(RpcError);
    expect(() => call("dashboard_v1_actor", [echo, 1])).toThrow(RpcError);
    expect(() => call("dashboard_v1_overview", [1])).toThrow(RpcError);
  });
});

describe("dashboard_v1_overview", { timeout: 300_000 }, () => {
  it("shows a postcard from an account waiting in the pigeonhole, and every actor's row", async () => {
    // Echo never calls recv(): the postcard stays in its pigeonhole.
    // admitted at once; delivered by the next block
    const { callId } = await api.send(echo, Buffer.from("hello"));
    expect((await api.waitReceipt(callId, 60_000)).status).toBe("canonicalised");
    const o = (await call("dashboard_v1_overview", [])) as DashboardOverviewJson;
    expect(o.head).toBe(node.chain.head().number);
    expect(o.postcards).toContainEqual({ from: null, to: echo, size: 5 });
    expect(o.postcardsTotal).toBeGreaterThanOrEqual(1);
    const row = o.actors.find((a) => a.id === echo)!;
    expect(row).toMatchObject({ pages: 1, diskUsed: 0, preimages: 0 });
    expect(row.mailbox).toBe(api.actor(echo)!.mailbox);
    expect(o.disk).toEqual(api.diskStats());
  });

  it("counts stored preimages", async () => {
    const data = new Uint8Array(1000).fill(7);
    const stored = await api.diskStore(data);
    const hash = toHex(blake2b256(data)); // DESIGN §7: preimages are keyed by blake2b-256
    expect(stored.hash).toBe(hash);
    const o = (await call("dashboard_v1_overview", [])) as DashboardOverviewJson;
    expect(o.preimages).toContainEqual({ hash, size: 1000, refs: expect.any(Number) });
    expect(o.disk.bytes).toBeGreaterThanOrEqual(1000);
  });
});
