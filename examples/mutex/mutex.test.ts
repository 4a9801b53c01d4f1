import { beforeAll, describe, expect, it } from "vitest";
import type { ActorId } from "../../src/codec/ids.ts";
import { type CallOutput, str, u32 } from "../../src/codec/types.ts";
import { createHarness } from "../../src/harness/index.ts";
import { buildExample } from "../build-example.ts";

let mutexBlob: Uint8Array;
let clientBlob: Uint8Array;
beforeAll(async () => {
  [mutexBlob, clientBlob] = await Promise.all([
    buildExample("mutex").then((b) => b.blob),
    buildExample("mutex/assembly/client.ts").then((b) => b.blob),
  ]);
});

const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const clientArgs = (mutex: ActorId, name: string, holdFor: number) =>
  cat(u32.enc(mutex), str.enc(name), u32.enc(holdFor));
const ok = (out: CallOutput) => {
  if (!out.success) throw new Error(JSON.stringify(out.value));
  return out.value;
};
const holder = (name: string) => cat(Uint8Array.of(0x03), str.enc(name));

/** client.state() -> (phase u8, heldPlays u32, attempts u32) */
const state = (v: Uint8Array) => ({ phase: v[0], held: Buffer.from(v).readUInt32LE(1) });

describe("mutex (Synchronisation utility actor)", () => {
  it("two clients contend for one lock held across several plays, through callActor", () => {
    const h = createHarness();
    const m = h.deploy(mutexBlob);
    const a = h.deploy(clientBlob, clientArgs(m, "vault", 3));
    const b = h.deploy(clientBlob, clientArgs(m, "vault", 2));
    expect(h.dependencies(a)).toEqual([]); // main has not read its args yet
    h.service(m);
    const owners: number[] = [];
    for (let play = 0; play < 10; play++) {
      h.advance();
      h.service(a);
      h.service(b);
      const v = ok(h.call(m, holder("vault")));
      owners.push(v[0] === 1 ? Buffer.from(v).readUInt32LE(1) : 0);
    }
    // a locks first and keeps the lock for 3 plays; b gets it next, for 2; then it is free.
    expect(owners.slice(0, 6)).toEqual([a, a, a, b, b, 0]);
    expect(state(ok(h.call(a, Uint8Array.of(0x00))))).toEqual({ phase: 2, held: 3 });
    expect(state(ok(h.call(b, Uint8Array.of(0x00))))).toEqual({ phase: 2, held: 2 });
    expect(h.status(a)).toBe("ended");
    expect(h.dependencies(a)).toEqual([m]);
    expect(h.logs).toContain("client: unlocked vault after 3 plays");
  });

  it("holder reports the owner, the block it took the lock, and waiters; lock queues FIFO", () => {
    const h = createHarness({ now: 40 });
    const m = h.deploy(mutexBlob);
    const a = h.deploy(clientBlob, clientArgs(m, "x", 1_000));
    const b = h.deploy(clientBlob, clientArgs(m, "x", 1_000));
    h.service(m);
    h.service(a); // the clients learn the mutex's id from their args
    h.service(b);
    // lockVia replies (status u8, Vec<u8> mutex reply): lock → 0 acquired, 1 queued.
    expect(ok(h.call(a, cat(Uint8Array.of(0x01), str.enc("door"))))).toEqual(Uint8Array.of(0, 4, 0));
    expect(ok(h.call(b, cat(Uint8Array.of(0x01), str.enc("door"))))).toEqual(Uint8Array.of(0, 4, 1));
    const v = Buffer.from(ok(h.call(m, holder("door"))));
    expect([v[0], v.readUInt32LE(1), v.readUInt32LE(5), v.readUInt32LE(9)]).toEqual([1, a, 40, 1]);
  });

  it("not co-scheduled: the client cannot reach the mutex and keeps waiting", () => {
    const h = createHarness();
    const m = h.deploy(mutexBlob);
    const a = h.deploy(clientBlob, clientArgs(m, "vault", 1));
    h.service(m);
    h.coschedule([a]);
    h.service(a, 3);
    expect(state(ok(h.call(a, Uint8Array.of(0x00))))).toEqual({ phase: 0, held: 0 });
    // lockVia goes through callActor regardless: the error is NotCoscheduled (status 6).
    expect(ok(h.call(a, cat(Uint8Array.of(0x01), str.enc("vault"))))[0]).toBe(6);
    h.coschedule(null);
    h.service(a);
    expect(state(ok(h.call(a, Uint8Array.of(0x00)))).phase).toBe(1);
  });

  it("privileges: only the admin grants; unprivileged actors and agenda Calls cannot lock", () => {
    const h = createHarness();
    const m = h.deploy(mutexBlob, Uint8Array.of(0)); // no admin actor: agenda Calls administer
    const a = h.deploy(clientBlob, clientArgs(m, "x", 1));
    const b = h.deploy(clientBlob, clientArgs(m, "x", 1));
    h.service(m);
    h.service(a);
    h.service(b);
    const grantA = cat(Uint8Array.of(0x04), u32.enc(a));
    ok(h.call(m, grantA));
    const viaB = ok(h.call(b, cat(Uint8Array.of(0x01), str.enc("door"))));
    expect(viaB[0]).toBe(1); // Actor error
    expect(new TextDecoder().decode(viaB.subarray(2))).toBe(`actor ${b} is not privileged`);
    expect(ok(h.call(a, cat(Uint8Array.of(0x01), str.enc("door"))))).toEqual(Uint8Array.of(0, 4, 0));
    const direct = h.call(m, cat(Uint8Array.of(0x00), str.enc("door")));
    expect(direct.success).toBe(false);
    // With an admin actor set, an agenda Call may not grant.
    const m2 = h.deploy(mutexBlob, cat(Uint8Array.of(1), u32.enc(a)));
    h.service(m2);
    expect(h.call(m2, grantA).success).toBe(false);
  });

  it("unlock by a non-owner fails and changes nothing", () => {
    const h = createHarness();
    const m = h.deploy(mutexBlob);
    h.service(m);
    const out = h.call(m, cat(Uint8Array.of(0x02), str.enc("door")));
    expect(out).toEqual({
      success: false,
      value: { tag: "Actor", value: new TextEncoder().encode("not the owner of door") },
    });
  });
});
