import { beforeAll, describe, expect, it } from "vitest";
import type { ActorId } from "../../src/codec/ids.ts";
import { type CallOutput, u32 } from "../../src/codec/types.ts";
import { createHarness } from "../../src/harness/index.ts";
import { buildExample } from "../build-example.ts";

let blob: Uint8Array;
beforeAll(async () => {
  blob = (await buildExample("pingpong")).blob;
});

const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const ok = (out: CallOutput) => {
  if (!out.success) throw new Error(JSON.stringify(out.value));
  return Buffer.from(out.value);
};
const serve = (target: ActorId, n: number) => cat(Uint8Array.of(0x01), u32.enc(target), u32.enc(n));
const status = (v: Buffer) => ({ status: v[0], value: v.readUInt32LE(1) });
const stats = (v: Buffer) => ({
  pings: v.readUInt32LE(0),
  served: v.readUInt32LE(4),
  reentries: v.readUInt32LE(8),
  missed: v.readUInt32LE(12),
  peer: v.readBigInt64LE(16),
});

function pair() {
  const h = createHarness();
  // Ids are assigned 1, 2, … so each knows the other's id up front.
  const a = h.deploy(blob, u32.enc(2));
  const b = h.deploy(blob, u32.enc(1));
  expect([a, b]).toEqual([1, 2]);
  return { h, a, b };
}

describe("pingpong", () => {
  it("synchronous calls both ways", () => {
    const { h, a, b } = pair();
    expect(status(ok(h.call(a, serve(b, 41))))).toEqual({ status: 0, value: 42 });
    expect(status(ok(h.call(b, serve(a, 9))))).toEqual({ status: 0, value: 10 });
    expect(stats(ok(h.call(a, Uint8Array.of(0x03))))).toMatchObject({ pings: 1, served: 1 });
    expect(stats(ok(h.call(b, Uint8Array.of(0x03))))).toMatchObject({ pings: 1, served: 1 });
  });

  it("re-entry: A → B → A fails with Reentry (status 5), never corrupting A", () => {
    const { h, a, b } = pair();
    expect(status(ok(h.call(a, cat(Uint8Array.of(0x02), u32.enc(b)))))).toEqual({ status: 5, value: 0 });
    expect(stats(ok(h.call(b, Uint8Array.of(0x03))))).toMatchObject({ reentries: 1, served: 0 });
    expect(stats(ok(h.call(a, Uint8Array.of(0x03))))).toMatchObject({ pings: 0 });
    // Calling oneself is re-entry too.
    expect(status(ok(h.call(a, serve(a, 1))))).toEqual({ status: 5, value: 0 });
  });

  it("each Service pings the co-scheduled peer from main; not co-scheduled means no call", () => {
    const { h, a, b } = pair();
    h.service(a, 1);
    h.service(b, 1);
    h.service(a, 1);
    expect(stats(ok(h.call(a, Uint8Array.of(0x03))))).toMatchObject({ pings: 1, served: 2, peer: 2n });
    expect(stats(ok(h.call(b, Uint8Array.of(0x03))))).toMatchObject({ pings: 2, served: 1, peer: 1n });
    h.coschedule([a]);
    h.service(a, 1);
    expect(stats(ok(h.call(a, Uint8Array.of(0x03))))).toMatchObject({ served: 2, missed: 0 });
    expect(status(ok(h.call(a, serve(b, 1))))).toEqual({ status: 6, value: 0 });
    expect(h.dependencies(a)).toEqual([b]);
    expect(h.logs.filter((l) => l.startsWith("pingpong: round"))).toHaveLength(3);
  });

  it("calling an actor that does not exist is NotCoscheduled", () => {
    const { h, a } = pair();
    expect(status(ok(h.call(a, serve(77 as ActorId, 1))))).toEqual({ status: 6, value: 0 });
  });
});
