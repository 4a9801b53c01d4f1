/**
 * The dashboard's WebSocket client (dashboard/js/rpc.js) against a scripted JSON-RPC server: answers,
 * typed errors, and reconnection with re-made subscriptions when the node restarts.
 */
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { createRpc, type Rpc, type RpcCallError } from "../../dashboard/js/rpc.js";

// Node 20 has no global WebSocket; `ws` speaks the same browser-style API the dashboard uses.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

interface Fake {
  port: number;
  subs: number;
  close(): Promise<void>;
  notify(result: unknown): void;
}

/** A tiny node: `echo` answers its params, `hang` never answers, `chain_v1_follow` subscribes, others fail. */
function fakeNode(port = 0): Promise<Fake> {
  return new Promise((ok) => {
    const wss = new WebSocketServer({ port, host: "127.0.0.1" });
    const fake: Fake = {
      port: 0,
      subs: 0,
      close: () =>
        new Promise((done) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => done());
        }),
      notify(result) {
        for (const c of wss.clients) {
          c.send(
            JSON.stringify({
              jsonrpc: "2.0",
              method: "chain_v1_followEvent",
              params: { subscription: "s1", result },
            }),
          );
        }
      },
    };
    wss.on("connection", (ws) => {
      ws.on("message", (d) => {
        const r = JSON.parse(String(d));
        if (r.method === "hang") return;
        if (r.method === "echo") ws.send(JSON.stringify({ jsonrpc: "2.0", id: r.id, result: r.params }));
        else if (r.method === "chain_v1_follow") {
          fake.subs++;
          ws.send(JSON.stringify({ jsonrpc: "2.0", id: r.id, result: "s1" }));
        } else {
          ws.send(
            JSON.stringify({
              jsonrpc: "2.0",
              id: r.id,
              error: {
                code: -32001,
                message: "Unknown actor",
                data: { code: "UNKNOWN_ACTOR", hint: "list them" },
              },
            }),
          );
        }
      });
    });
    wss.on("listening", () => {
      fake.port = (wss.address() as AddressInfo).port;
      ok(fake);
    });
  });
}

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
};

let client: Rpc | undefined;
let server: Fake | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
});

describe("dashboard rpc client", () => {
  it("answers calls and turns error objects into typed errors with code and hint", async () => {
    server = await fakeNode();
    client = createRpc(`ws://127.0.0.1:${server.port}`);
    expect(await client.call("echo", [1, "a"])).toEqual([1, "a"]);
    const err = (await client.call("actor_v1_state", [9]).catch((e) => e)) as RpcCallError;
    expect(err.name).toBe("RpcCallError");
    expect(err.code).toBe("UNKNOWN_ACTOR");
    expect(err.hint).toBe("list them");
  });

  it("reconnects after the node restarts and subscribes again", async () => {
    server = await fakeNode();
    const port = server.port;
    const states: string[] = [];
    const events: unknown[] = [];
    client = createRpc(`ws://127.0.0.1:${port}`, { onStatus: (s) => states.push(s) });
    client.subscribe("chain_v1_follow", [], (e) => events.push(e));
    await until(() => server!.subs === 1);
    // One round trip: replies are ordered, so the subscription's id has reached the client too (a
    // notification that overtook it would be for an id the client does not know yet).
    await client.call("echo", []);
    server.notify({ event: "newBlock", n: 1 });
    await until(() => events.length === 1);

    await server.close();
    await until(() => states.includes("closed"));
    // A call made while the node is down waits for the reconnection.
    const pending = client.call("echo", ["after restart"]);
    server = await fakeNode(port);
    await until(() => server!.subs === 1);
    expect(await pending).toEqual(["after restart"]);
    await client.call("echo", []);
    server.notify({ event: "newBlock", n: 2 });
    await until(() => events.length === 2);
    expect(events).toEqual([
      { event: "newBlock", n: 1 },
      { event: "newBlock", n: 2 },
    ]);
    expect(states.filter((s) => s === "open").length).toBe(2);
  });

  it("rejects calls in flight when the connection drops", async () => {
    server = await fakeNode();
    client = createRpc(`ws://127.0.0.1:${server.port}`);
    await client.call("echo", []);
    const inFlight = client.call("hang", []).catch((e: Error) => e.message);
    await server.close();
    expect(await inFlight).toBe("hang: connection lost");
  });
});
